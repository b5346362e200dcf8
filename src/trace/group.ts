// Lines to deliveries to messages.
//
// A delivery is one HTTP push: nginx's access line and the receiver's line, joined by the
// request id nginx generated ($request_id, sent as X-Request-Id, logged by wxgate as reqId).
// A message is what the user sent: WeChat may deliver it up to 3 times, and after the ack the
// worker, handler and send layers log it again. Lines join a message by dedupKey; lines without
// one join by openid + stamp (CreateTime), unless that would merge two different dedupKeys
// (two messages in the same second). A push that never reached a receiver has only its URL's
// openid and timestamp; it joins the one message of that openid created just before it.
import { classifyDelivery } from './classify.js';
import { NGINX_ERROR_LAYER, startOf, type LogEvent } from './event.js';

export interface Delivery {
  reqId?: string;
  access?: LogEvent;
  receive?: LogEvent;
  /** nginx error-log lines about this push (upstream timed out, connection refused). */
  errors?: LogEvent[];
}

export interface Identity {
  appid?: string;
  openid?: string;
  stamp?: number;
  msgType?: string;
  event?: string;
  msgId?: string;
  dedupKey?: string;
  /** Set for a template message sent by a campaign. */
  campaignId?: string;
}

export interface Message {
  identity: Identity;
  /** In time order. */
  deliveries: Delivery[];
  /** worker, handler, send and other layers' lines, in time order. */
  later: LogEvent[];
  /** Every line, in start order. */
  events: LogEvent[];
  start: number;
  end: number;
}

/** How far after a message's CreateTime a delivery may be signed (3 tries, ~5 s apart). */
const RETRY_SPAN_S = 30;

function eventKey(e: LogEvent): string {
  return [e.layer, e.end, e.ms, e.reqId, e.dedupKey, e.openid, e.outcome, e.status, e.errcode].join('|');
}

/** Drops lines read twice (the same file given twice, overlapping rotated files). */
export function uniqueEvents(events: LogEvent[]): LogEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const k = eventKey(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function deliveryEvents(d: Delivery): LogEvent[] {
  return [d.access, d.receive].filter((e): e is LogEvent => e !== undefined);
}

export function deliveryStart(d: Delivery): number {
  return Math.min(...deliveryEvents(d).map(startOf));
}

const pushKey = (e: LogEvent): string | undefined =>
  e.openid !== undefined && e.access?.pushTs !== undefined ? `${e.openid}|${e.access.pushTs}|${e.access.nonce ?? ''}` : undefined;

/**
 * nginx's error-log lines to the access line of the same push (same openid, timestamp and
 * nonce, written while that request was open); returns the lines no access line claimed.
 */
function attachErrors(deliveries: Delivery[], errors: LogEvent[]): LogEvent[] {
  const byPush = new Map<string, Delivery[]>();
  for (const d of deliveries) {
    const k = d.access ? pushKey(d.access) : undefined;
    if (k !== undefined) byPush.set(k, [...(byPush.get(k) ?? []), d]);
  }
  return errors.filter((e) => {
    const k = pushKey(e);
    const d = k === undefined ? undefined : byPush.get(k)?.find((c) => e.end >= startOf(c.access!) - 1000 && e.end <= c.access!.end + 1000);
    if (!d) return true;
    (d.errors ??= []).push(e);
    return false;
  });
}

/** Access and receive lines paired by request id; every other line returned as is. */
export function buildDeliveries(events: LogEvent[]): { deliveries: Delivery[]; others: LogEvent[] } {
  const byReqId = new Map<string, Delivery>();
  const deliveries: Delivery[] = [];
  const others: LogEvent[] = [];
  const errors: LogEvent[] = [];
  for (const e of events) {
    if (e.layer === NGINX_ERROR_LAYER) {
      errors.push(e);
      continue;
    }
    // A receive line without status, outcome or request id is about the process
    // ("receiver listening"), not about a push.
    const isPush = e.layer === 'receive' && (e.status !== undefined || e.outcome !== undefined || e.reqId !== undefined);
    const slot = e.layer === 'access' ? 'access' : isPush ? 'receive' : undefined;
    if (slot === undefined) {
      others.push(e);
      continue;
    }
    const existing = e.reqId === undefined ? undefined : byReqId.get(e.reqId);
    if (existing && existing[slot] === undefined) {
      existing[slot] = e;
      continue;
    }
    const d: Delivery = { [slot]: e };
    if (e.reqId !== undefined) {
      d.reqId = e.reqId;
      if (!existing) byReqId.set(e.reqId, d);
    }
    deliveries.push(d);
  }
  deliveries.sort((a, b) => deliveryStart(a) - deliveryStart(b));
  others.push(...attachErrors(deliveries, errors));
  return { deliveries, others };
}

class UnionFind {
  private readonly parent: number[] = [];
  add(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(i: number): number {
    let r = i;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[i] !== r) {
      const next = this.parent[i]!;
      this.parent[i] = r;
      i = next;
    }
    return r;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[rb] = ra;
  }
}

type Item = { delivery: Delivery; events: LogEvent[] } | { delivery?: undefined; events: LogEvent[] };

function itemFields(item: Item): Identity {
  const out: Identity = {};
  // The receiver's line knows the message best; nginx only knows the URL.
  const ordered = [...item.events].sort((a, b) => Number(a.layer === 'access') - Number(b.layer === 'access'));
  for (const e of ordered) {
    out.appid ??= e.appid;
    out.openid ??= e.openid;
    if (e.layer !== 'access') out.stamp ??= e.stamp;
    out.msgType ??= e.msgType;
    out.event ??= e.event;
    out.msgId ??= e.msgId;
    out.dedupKey ??= e.dedupKey;
    out.campaignId ??= e.campaignId;
  }
  return out;
}

function joinByStamp(items: Item[], fields: Identity[], uf: UnionFind): void {
  const hasDedup = (i: number): string | undefined => fields[i]!.dedupKey;
  const dedupOfRoot = new Map<number, string>();
  items.forEach((_, i) => {
    const k = hasDedup(i);
    if (k !== undefined) dedupOfRoot.set(uf.find(i), k);
  });
  const bySkey = new Map<string, number[]>();
  fields.forEach((f, i) => {
    if (f.openid === undefined || f.stamp === undefined) return;
    const k = `${f.openid}|${f.stamp}`;
    const list = bySkey.get(k) ?? [];
    list.push(i);
    bySkey.set(k, list);
  });
  for (const list of bySkey.values()) {
    const keys = new Set(list.map((i) => dedupOfRoot.get(uf.find(i))).filter((k) => k !== undefined));
    if (keys.size > 1) continue; // two messages in one second: dedupKey already told them apart
    for (const i of list.slice(1)) uf.union(list[0]!, i);
  }
}

function joinNginxOnly(items: Item[], fields: Identity[], uf: UnionFind): void {
  const stampedByOpenid = new Map<string, number[]>();
  fields.forEach((f, i) => {
    if (f.openid === undefined || f.stamp === undefined) return;
    const list = stampedByOpenid.get(f.openid) ?? [];
    list.push(i);
    stampedByOpenid.set(f.openid, list);
  });
  const answeredBy = new Map<number, number>();
  items.forEach((item, i) => {
    const d = item.delivery;
    if (!d?.receive || classifyDelivery(d).result !== 'ok') return;
    const r = uf.find(i);
    const end = Math.max(...deliveryEvents(d).map((x) => x.end));
    answeredBy.set(r, Math.min(answeredBy.get(r) ?? Infinity, end));
  });
  // Deliveries nginx alone logged (502, 499) of one push are one message, joined or not.
  const samePush = new Map<string, number>();
  items.forEach((item, i) => {
    const e = item.delivery?.access ?? (item.events[0]?.layer === NGINX_ERROR_LAYER ? item.events[0] : undefined);
    if (!e || item.delivery?.receive) return;
    const k = `${e.openid}|${e.access?.pushTs}`;
    if (e.openid === undefined || e.access?.pushTs === undefined) return;
    const first = samePush.get(k);
    if (first === undefined) samePush.set(k, i);
    else uf.union(first, i);
  });
  items.forEach((item, i) => {
    const d = item.delivery;
    const e = d?.access ?? (item.events[0]?.layer === NGINX_ERROR_LAYER ? item.events[0] : undefined);
    if (!e || d?.receive) return;
    const pushTs = e.access?.pushTs;
    const openid = e.openid;
    if (pushTs === undefined || openid === undefined) return;
    // The same push (a retry carries the same timestamp and nonce) that did reach a receiver;
    // else the message created that second; else the one message created in the retry span.
    const candidates = (stampedByOpenid.get(openid) ?? []).filter((j) => pushTs - fields[j]!.stamp! >= -2 && pushTs - fields[j]!.stamp! <= RETRY_SPAN_S);
    const samePushAt = candidates.filter((j) => {
      const a = items[j]!.delivery?.access?.access;
      return a?.pushTs === pushTs && a.nonce !== undefined && a.nonce === e.access?.nonce;
    });
    const sameSecond = candidates.filter((j) => fields[j]!.stamp === pushTs);
    // WeChat retries only what was not answered: a message answered success before this push
    // was signed is not what it retried (else an unrelated push gets glued to it).
    const retriable = candidates.filter((j) => !((answeredBy.get(uf.find(j)) ?? Infinity) < startOf(e)));
    const chosen = samePushAt.length > 0 ? samePushAt : sameSecond.length > 0 ? sameSecond : retriable;
    const roots = new Set(chosen.map((j) => uf.find(j)));
    if (roots.size === 1) uf.union([...roots][0]!, i);
  });
}

function identityOf(items: Item[]): Identity {
  const merged: Identity = {};
  for (const f of items.map(itemFields)) {
    for (const [k, v] of Object.entries(f) as [keyof Identity, never][]) {
      if (v !== undefined && merged[k] === undefined) merged[k] = v;
    }
  }
  return merged;
}

export function groupMessages(input: LogEvent[]): Message[] {
  const { deliveries, others } = buildDeliveries(uniqueEvents(input));
  const items: Item[] = [
    ...deliveries.map((d) => ({ delivery: d, events: deliveryEvents(d) })),
    ...others.map((e) => ({ events: [e] })),
  ];
  const fields = items.map(itemFields);
  const uf = new UnionFind();
  items.forEach(() => uf.add());
  const byDedup = new Map<string, number>();
  fields.forEach((f, i) => {
    if (f.dedupKey === undefined) return;
    const first = byDedup.get(f.dedupKey);
    if (first === undefined) byDedup.set(f.dedupKey, i);
    else uf.union(first, i);
  });
  joinByStamp(items, fields, uf);
  joinNginxOnly(items, fields, uf);

  const groups = new Map<number, Item[]>();
  items.forEach((item, i) => {
    const r = uf.find(i);
    const g = groups.get(r) ?? [];
    g.push(item);
    groups.set(r, g);
  });
  const messages = [...groups.values()].map((group): Message => {
    const events = group.flatMap((it) => it.events).sort((a, b) => startOf(a) - startOf(b) || a.end - b.end);
    const ds = group.flatMap((it) => (it.delivery ? [it.delivery] : [])).sort((a, b) => deliveryStart(a) - deliveryStart(b));
    const later = group.flatMap((it) => (it.delivery ? [] : it.events)).sort((a, b) => startOf(a) - startOf(b));
    return {
      identity: identityOf(group),
      deliveries: ds,
      later,
      events,
      start: Math.min(...events.map(startOf)),
      end: Math.max(...events.map((e) => e.end)),
    };
  });
  return messages.sort((a, b) => a.start - b.start);
}
