// What to check for each kind of alert, after WeChat's troubleshooting guide, in our words
// and for wxgate's layers. An item whose `answer` returns text is answered by the logs
// (ticked, with the evidence); the rest are for a person with a shell on the servers.
// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Warning_Message_Troubleshooting_Guide.html
import type { AlertAnalysis, LayerSummary } from './alert-analyze.js';
import type { AlertFamily, AlertKind } from './alert-kinds.js';
import type { ParsedAlert } from './alert-parse.js';
import { describeGap } from './alert-analyze.js';
import { formatMs } from './time.js';

export interface CheckContext {
  alert: ParsedAlert;
  kind: AlertKind;
  analysis: AlertAnalysis;
}

interface ChecklistItem {
  id: string;
  text: string;
  answer?: (c: CheckContext) => string | undefined;
}

export interface CheckResult {
  id: string;
  text: string;
  answered: boolean;
  answer?: string;
}

// mode_not_accepted: the console's 消息加解密方式 was switched without WECHAT_MESSAGE_MODE (issue 14).
const CREDENTIAL_REASONS = new Set(['signature_mismatch', 'signature_missing', 'appid_mismatch', 'padding_invalid', 'aes_key_invalid', 'unknown_app', 'base64_invalid', 'mode_not_accepted']);

/** A receiver that acks before the handlers run answers in milliseconds; beyond these, something waits. */
const FAST_ACK_MS = 1000;
const FAST_ENQUEUE_MS = 500;

function layer(a: AlertAnalysis, name: string): LayerSummary | undefined {
  return a.layers.find((l) => l.layer === name);
}

function spread(s: LayerSummary | undefined): string {
  return s ? `p50 ${formatMs(s.p50)}, p95 ${formatMs(s.p95)}, max ${formatMs(s.max)} over ${s.n}` : 'no lines';
}

function list(groups: AlertAnalysis['failures']): string {
  return groups.map((g) => `${g.count} at ${g.layer}`).join(', ');
}

const ip: ChecklistItem = {
  id: 'ip',
  text: 'The IP in the alert is one of our servers (the domain sends WeChat to us)',
  answer: ({ alert, analysis: a }) => {
    const want = alert.sample.ip;
    if (!want || a.serverAddrs.length === 0) return undefined;
    if (a.serverAddrs.includes(want)) return `yes: nginx logged pushes on ${want}`;
    return `not in our logs: nginx logged on ${a.serverAddrs.join(', ')} (behind NAT or a load balancer that is the private address; otherwise check the domain's A record)`;
  },
};

const arrived: ChecklistItem = {
  id: 'arrived',
  text: 'Pushes of this type reached us in the window',
  answer: ({ analysis: a }) => {
    const c = a.counts;
    const what = a.filter?.label ?? 'all';
    if (c.deliveries === 0) return `none: no ${what} push reached nginx or a receiver`;
    const unknown = c.unknownType > 0 ? `; ${c.unknownType} of unknown type` : '';
    return `${c.deliveries} (${what}): ${c.atNginx} at nginx, ${c.atReceiver} at a receiver, ${c.nginxOnly} at nginx only${unknown}`;
  },
};

const slow: ChecklistItem = {
  id: 'slow',
  text: 'Which pushes took 5 s or more, and where the time went',
  answer: ({ analysis: a }) => (a.counts.deliveries === 0 ? undefined : a.counts.slow === 0 ? 'none in our logs took 5 s' : `${a.counts.slow}: ${list(a.failures.filter((f) => f.result === 'slow'))}`),
};

const ackFast: ChecklistItem = {
  id: 'ack_fast',
  text: 'The answer does not wait for business work (wxgate acks before any handler runs)',
  answer: ({ analysis: a }) => {
    const r = layer(a, 'receive');
    if (!r) return undefined;
    return `${(r.p95 ?? 0) < FAST_ACK_MS ? 'yes' : 'no'}: receive ${spread(r)}`;
  },
};

const redis: ChecklistItem = {
  id: 'redis',
  text: 'Redis answered quickly at that time (the enqueue step), or pushes went to the local spool',
  answer: ({ analysis: a }) => {
    const enqueue = layer(a, 'receive: enqueue');
    if (!enqueue && a.spooled === 0) return undefined;
    const spooled = a.spooled > 0 ? `; ${a.spooled} spooled (Redis unreachable or slow)` : '';
    const ok = enqueue !== undefined && (enqueue.p95 ?? 0) < FAST_ENQUEUE_MS && a.spooled === 0;
    return `${ok ? 'yes' : 'no'}: ${enqueue ? `enqueue ${spread(enqueue)}` : 'no push was enqueued'}${spooled}`;
  },
};

const upstream: ChecklistItem = {
  id: 'upstream',
  text: 'nginx reached a receiver for every push (no 502/503/504; see nginx\'s error log for "connect() failed" or "upstream timed out")',
  answer: ({ analysis: a }) => {
    if (a.counts.atNginx === 0) return undefined;
    const errors = a.context.nginxErrors.map((n) => `${n.count} × ${n.says}`).join(', ');
    const why = errors ? `; nginx's error log: ${errors}` : '';
    if (a.counts.gatewayErrors === 0 && a.counts.unreached === 0) return `yes${why}`;
    return `no: ${Math.max(a.counts.gatewayErrors, a.counts.unreached)} pushes answered 502/503/504 by nginx${why}`;
  },
};

const running: ChecklistItem = {
  id: 'running',
  text: 'wxgate kept running, and its processes were not stalled (start/stop lines; nginx\'s arrival time against the receiver\'s start)',
  answer: ({ analysis: a }) => {
    const restarts = a.context.restarts.filter((r) => r.from <= a.window.to && (r.to ?? a.window.to) >= a.window.from);
    const parts = [
      ...restarts.map((r) => r.text),
      a.counts.stalled > 0 ? `${a.counts.stalled} pushes waited seconds on a process that was not running (receive: stalled or access: stalled)` : '',
    ].filter((p) => p !== '');
    if (parts.length > 0) return `no: ${parts.join('; ')}`;
    return a.counts.atReceiver > 0 ? 'yes: no start or stop in the window, no stalled push' : undefined;
  },
};

const load: ChecklistItem = { id: 'load', text: 'Server load at that time: CPU, memory, open connections, event-loop lag (top, vmstat, ss -s, /metrics)' };
const network: ChecklistItem = { id: 'network', text: 'Packet loss or bandwidth limits between WeChat and us (provider status, mtr to the alert\'s IP)' };

const rejected: ChecklistItem = {
  id: 'rejected',
  text: 'Which layer refused pushes, and why',
  answer: ({ analysis: a }) => {
    const refused = a.failures.filter((f) => f.result !== 'slow');
    if (a.counts.deliveries === 0) return undefined;
    return refused.length === 0 ? 'none refused in our logs' : list(refused);
  },
};

const credentials: ChecklistItem = {
  id: 'credentials',
  text: 'Token, EncodingAESKey, AppID and the message mode (WECHAT_MESSAGE_MODE) in wxgate match the MP console (a mismatch fails every push)',
  answer: ({ analysis: a }) => {
    const bad = Object.entries(a.reasons).filter(([r]) => CREDENTIAL_REASONS.has(r));
    if (bad.length > 0) return `likely not: ${bad.map(([r, n]) => `${n} × ${r}`).join(', ')}`;
    if (a.counts.atReceiver > 0 && a.counts.rejected < a.counts.atReceiver) return 'yes: the receiver verified and decrypted pushes in the window';
    return undefined;
  },
};

const clock: ChecklistItem = {
  id: 'clock',
  text: 'The server clock is right (pushes outside the timestamp window are refused)',
  answer: ({ analysis: a }) => {
    const n = a.reasons.timestamp_out_of_window ?? 0;
    if (n > 0) return `no: ${n} pushes refused as timestamp_out_of_window (check NTP)`;
    return a.counts.atReceiver > 0 ? 'yes: no push was refused for its timestamp' : undefined;
  },
};

function describeContent(content: string): string {
  const title = /<title>([^<]*)<\/title>/i.exec(content) ?? /<h1>([^<]*)<\/h1>/i.exec(content);
  if (title) return `an HTML error page "${title[1]!.trim()}" (nginx or a proxy in front of it, not wxgate)`;
  if (content.trim() === '') return 'an empty body';
  return `"${content.length > 80 ? `${content.slice(0, 80)}…` : content}"`;
}

const answer: ChecklistItem = {
  id: 'answer',
  text: 'What WeChat received (the alert\'s response_content) and who sent it',
  answer: ({ alert }) => {
    const { responseContent, responseLength } = alert.sample;
    if (responseContent === undefined) return undefined;
    const len = responseLength !== undefined ? ` (${responseLength} bytes)` : '';
    return `${describeContent(responseContent)}${len}`;
  },
};

const format: ChecklistItem = {
  id: 'format',
  text: 'Accepted pushes are answered exactly "success" (wxgate never sends a passive reply)',
  answer: ({ analysis: a }) => (a.counts.answered > 0 ? `yes: ${a.counts.answered} pushes acked with success` : undefined),
};

const noneArrived = (what: string): ChecklistItem => ({
  id: 'reached',
  text: `Nothing reached us while WeChat saw ${what}`,
  answer: ({ analysis: a }) =>
    a.counts.deliveries === 0 ? 'yes: no push in the window; the problem is in front of nginx' : `no: ${a.counts.deliveries} pushes arrived, so it was partial (limits, load, part of the route)`,
});

// WeChat's guide has the domain checked against 182.254.116.116 (the resolver it names), not a public one of our choosing.
const dnsResolve: ChecklistItem = { id: 'dns', text: 'The server URL\'s domain resolves to the alert\'s IP from the resolver WeChat\'s guide names (dig @182.254.116.116 your.domain), and the authoritative servers answer (dig +trace)' };
const domainState: ChecklistItem = { id: 'domain', text: 'The domain\'s registration, ICP filing and DNS provider are in good standing' };
const listening: ChecklistItem = {
  id: 'listening',
  text: 'nginx is up and listening on 80/443 at the alert\'s IP, and the firewall/security group lets WeChat\'s callback IPs in (getcallbackip)',
  answer: ({ analysis: a }) => (a.counts.atNginx > 0 ? `partly: nginx logged ${a.counts.atNginx} pushes in the window, so it was up for those` : undefined),
};
const capacity: ChecklistItem = { id: 'capacity', text: 'Connection limits were not hit: worker_connections, worker_rlimit_nofile, the SYN/accept backlog (ss -s; "worker_connections are not enough" in nginx\'s error log)' };
const provider: ChecklistItem = { id: 'provider', text: 'No incident at the hosting provider or the network operator at that time' };

const before: ChecklistItem = {
  id: 'before',
  text: 'Which failures led to the block (there were timeout or failure alerts just before it)',
  answer: ({ analysis: a }) => (a.failures.length > 0 ? list(a.failures) : a.counts.deliveries > 0 ? 'none in our logs: the failures happened before nginx' : undefined),
};
const gap: ChecklistItem = {
  id: 'gap',
  text: 'Pushes stopped for about a minute (the block), then resumed',
  answer: ({ analysis: a }) => (a.gap ? describeGap(a.gap) : undefined),
};
const fixCause: ChecklistItem = { id: 'fix', text: 'Fix the cause of those failures; the block lifts by itself after a minute and returns if they go on' };
const thirdParty: ChecklistItem = { id: 'third_party', text: 'The platform\'s authorization-event URL (component_verify_ticket, unauthorized, …) answers "success" within 5 s; it is the platform\'s endpoint, not an account\'s message URL' };

const BY_FAMILY: Record<AlertFamily, ChecklistItem[]> = {
  timeout: [ip, arrived, slow, ackFast, redis, upstream, running, load, network],
  failure: [ip, arrived, answer, rejected, credentials, clock, upstream, running, format],
  network: [ip, arrived, listening, capacity, provider],
  markfail: [before, gap, arrived, fixCause],
  unknown: [ip, arrived, slow, rejected, upstream, running],
};

function itemsFor(kind: AlertKind): ChecklistItem[] {
  let items = BY_FAMILY[kind.family];
  if (kind.id === 'dns_failure' || kind.id === 'dns_timeout') items = [noneArrived('a DNS failure'), dnsResolve, domainState, ip];
  if (kind.id === 'connection_timeout') items = [noneArrived('connection timeouts'), ...items.filter((i) => i.id !== 'arrived')];
  return kind.thirdParty ? [thirdParty, ...items] : items;
}

export function checklist(c: CheckContext): CheckResult[] {
  // Logs that do not cover the window, or hold another account's lines, answer nothing about it.
  const speaks = c.analysis.coverage.covered && c.analysis.account.inLogs;
  return itemsFor(c.kind).map((item) => {
    const answer = speaks || item.id === 'answer' ? item.answer?.(c) : undefined;
    return answer === undefined ? { id: item.id, text: item.text, answered: false } : { id: item.id, text: item.text, answered: true, answer };
  });
}
