// Acts as WeChat's push side: signed (and encrypted) pushes to a server URL at a chosen rate,
// each message delivered up to 3 times — a retry after a timeout, a failed connection or an
// answer that is not `success`/empty/a passive reply — and every delivery of a message exactly
// the same request (MsgId, CreateTime, and also timestamp, nonce and ciphertext: we do not know
// that WeChat re-signs a retry, so the simulator keeps it identical; a receiver must accept both).
// "微信服务器在五秒内收不到响应会断掉连接，并且重新发起请求，总共重试三次。"
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildPush, type PushMode } from '../pushes.js';
import { deliver, type DeliveryResult } from './deliver.js';
import { buildMessage, isEventKind, sampleType, type SimKind } from './message-kinds.js';
import { readPassiveAnswer } from './read-passive.js';
import { summarize } from './summarize.js';
import type { MessageResult, SimulateOptions, SimulationSummary } from './types.js';

/** A synthetic openid of WeChat's length (28), distinct per run tag and index. */
export function syntheticOpenid(tag: string, index: number): string {
  return `o${tag}sim${String(index).padStart(16, '0')}`.slice(0, 28);
}

export async function simulate({
  url,
  appid,
  token,
  aesKey,
  mode = aesKey ? 'aes' : 'plain',
  kinds = ['text'],
  content,
  openid,
  users = 1,
  count = 1,
  rate = 0,
  concurrency = 50,
  timeoutMs = 5000,
  connectTimeoutMs = 3000,
  maxDeliveries = 3,
  retryIntervalMs = timeoutMs,
  maxDurationMs = 600_000,
  toUser = 'gh_wxgate',
  onMessage,
  prebuild = false,
  onStart,
}: SimulateOptions): Promise<SimulationSummary> {
  const target = new URL(url);
  if (target.protocol !== 'http:') throw new TypeError(`simulate: ${url} is not an http:// URL (the simulator talks to the server behind TLS)`);
  if (mode !== 'plain' && !aesKey) throw new TypeError(`simulate: mode ${mode} needs the EncodingAESKey`);
  if (kinds.length === 0) throw new TypeError('simulate: no kinds to send');
  const account = { appid, token, encodingAESKey: aesKey };
  const basePath = target.pathname.replace(/\/+$/, '') || '/';
  const tag = randomBytes(4).toString('hex');
  const msgIdBase = `${Date.now()}${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`;
  const lastCreateTime = new Map<string, number>();
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const sample = (fields: { openid: string; createTime: number }, type: string) => `[OpenID=${fields.openid}][Stamp=${fields.createTime}][3rdUrl=${url}][IP=${target.hostname}]${type}`;

  function createTimeFor(kind: SimKind, sender: string): number {
    const now = Math.floor(Date.now() / 1000);
    if (!isEventKind(kind)) return now;
    // Events are deduplicated by FromUserName + CreateTime: one user's events get distinct seconds.
    const t = Math.max(now, (lastCreateTime.get(sender) ?? 0) + 1);
    lastCreateTime.set(sender, t);
    return t;
  }

  function build(seq: number) {
    const kind = kinds[(seq - 1) % kinds.length]!;
    const sender = openid ?? syntheticOpenid(tag, (seq - 1) % Math.max(1, users));
    const createTime = createTimeFor(kind, sender);
    const msgId = `${msgIdBase}${String(seq).padStart(6, '0')}`;
    const message = buildMessage({ kind, openid: sender, msgId, createTime, toUser, content, seq });
    return { kind, sender, createTime, msgId, message, push: buildPush(account, message, { mode, basePath }) };
  }
  const prebuilt: (ReturnType<typeof build> | undefined)[] | undefined = prebuild ? Array.from({ length: count }, (_, i) => build(i + 1)) : undefined;

  async function runMessage(seq: number): Promise<MessageResult> {
    const { kind, sender, createTime, msgId, message, push } = prebuilt?.[seq - 1] ?? build(seq);
    if (prebuilt) prebuilt[seq - 1] = undefined; // sent: let it go
    const deliveries: DeliveryResult[] = [];
    let ackedOn = 0;
    for (let n = 1; n <= maxDeliveries; n += 1) {
      const started = performance.now();
      const got = await deliver(target, push, { agent, timeoutMs, connectTimeoutMs });
      // A passive reply is read as WeChat reads it: signature, decryption, address (issue 17).
      const d = got.passiveBody === undefined ? got : { ...got, passiveBody: undefined, passive: readPassiveAnswer(got.passiveBody, { appid, token, aesKey }, { openid: sender }) };
      deliveries.push(d);
      if (d.outcome === 'ack' || d.outcome === 'passive') {
        ackedOn = n;
        break;
      }
      const wait = started + retryIntervalMs - performance.now();
      if (n < maxDeliveries && wait > 0) await sleep(wait);
    }
    return {
      seq,
      kind,
      openid: sender,
      msgId: isEventKind(kind) ? undefined : msgId,
      content: typeof message.Content === 'string' ? message.Content : typeof message.EventKey === 'string' ? message.EventKey : undefined,
      createTime,
      sentAt: deliveries[0]!.at,
      ackedOn,
      deliveries,
      sample: sample({ openid: sender, createTime }, sampleType(message)),
    };
  }

  const results: MessageResult[] = [];
  onStart?.();
  const started = performance.now();
  let next = 0;
  let notSent = 0;
  async function lane(): Promise<void> {
    for (;;) {
      next += 1;
      const seq = next;
      if (seq > count) return;
      if (rate > 0) {
        const due = started + ((seq - 1) * 1000) / rate - performance.now();
        if (due > 0) await sleep(due);
      }
      if (performance.now() - started > maxDurationMs) {
        notSent += 1;
        continue;
      }
      const r = await runMessage(seq);
      results.push(r);
      onMessage?.(r);
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, lane));
  } finally {
    agent.destroy();
  }
  results.sort((a, b) => a.seq - b.seq);
  return summarize({ url, mode, kinds, results, notSent, durationMs: performance.now() - started });
}

export type { PushMode };
