// The faults suite's forgery case (issue 14, failure 1): one genuine safe-mode push URL, as
// nginx's access log would show it, turned into plaintext pushes (encrypt_type and msg_signature
// dropped, any FromUserName and Content, within the timestamp window), and the genuine URL
// replayed with another body. Run with the account in safe mode and in compat mode (where the
// replay must be refused because the genuine push's (appid, timestamp, nonce) was recorded).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildPush, textMessage, type BuiltPush } from '../../src/dev/pushes.js';
import type { FaultCase, FaultCaseOptions, FaultCaseResult, FaultTarget } from './case.js';
import { caseResult } from './result.js';
import { ACCOUNT, startStack } from './stack.js';
import type { Answer, FaultRecord } from './tally.js';

const NAME = 'forgery';
const TITLE = 'Forged plaintext pushes and a replayed URL on an encrypted account';
const PUSH_ACCOUNT = { appid: ACCOUNT.appid, token: ACCOUNT.token, encodingAESKey: ACCOUNT.aesKey };
const FORGERIES = 10;

interface Sent {
  key: string;
  status: number;
  body: string;
}

async function post(base: string, path: string, body: string, key: string): Promise<Sent> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body, signal: AbortSignal.timeout(5000) });
  return { key, status: res.status, body: (await res.text()).trim() };
}

/** The genuine push's query with encrypt_type and msg_signature dropped: what a forger keeps. */
export function forgedPath(genuine: BuiltPush, openid: string): string {
  const q = new URLSearchParams(genuine.query);
  q.delete('encrypt_type');
  q.delete('msg_signature');
  q.set('openid', openid);
  return `/wechat?${q}`;
}

async function runMode(mode: 'safe' | 'compat', { workDir, log }: FaultCaseOptions): Promise<FaultCaseResult> {
  const dir = join(workDir, mode);
  mkdirSync(dir, { recursive: true });
  const stack = await startStack({ workDir: dir, serves: 1, workers: 1, env: { WECHAT_MESSAGE_MODE: mode }, log });
  try {
    const base = stack.serves[0]!.url;
    const genuineOpenid = `o_genuine_${mode}`;
    const genuine = buildPush(PUSH_ACCOUNT, textMessage({ openid: genuineOpenid, content: 'hello', msgId: `9${Date.now()}` }), { mode: 'aes' });
    const sent: Sent[] = [await post(base, genuine.path, genuine.body, genuineOpenid)];
    const forgedOpenids: string[] = [];
    for (let i = 0; i < FORGERIES; i += 1) {
      const openid = `o_forged_${mode}_${i}`;
      forgedOpenids.push(openid);
      const body = buildPush(PUSH_ACCOUNT, textMessage({ openid, content: `forged ${i}`, msgId: `8${Date.now()}${i}` })).body;
      sent.push(await post(base, forgedPath(genuine, openid), body, openid));
    }
    // The genuine URL, untouched, with another encrypted body (same timestamp and nonce).
    const replayOpenid = `o_replay_${mode}`;
    forgedOpenids.push(replayOpenid);
    const other = buildPush(PUSH_ACCOUNT, textMessage({ openid: replayOpenid, content: 'replayed', msgId: `7${Date.now()}` }), { mode: 'aes', timestamp: genuine.query.timestamp, nonce: genuine.query.nonce });
    sent.push(await post(base, genuine.path, other.body, replayOpenid));

    // Wait for the genuine reply, then a little longer for anything forged to surface.
    const started = Date.now();
    while (!stack.mock.state.sent().some((s) => (s.body as { touser?: string }).touser === genuineOpenid) && Date.now() - started < 20_000) await sleep(200);
    const drainMs = Date.now() - started < 20_000 ? Date.now() - started : undefined;
    await sleep(2000);

    const lines = stack.lines();
    const keys = new Set([genuineOpenid, ...forgedOpenids]);
    const handlerRuns = lines.filter((l) => l.layer === 'worker' && l.outcome === 'handled' && typeof l.openid === 'string' && keys.has(l.openid)).map((l) => l.openid as string);
    const replies = stack.mock.state
      .sent()
      .map((s) => (s.body as { touser?: string }).touser)
      .filter((t): t is string => t !== undefined && keys.has(t));
    const record: FaultRecord = { deliveries: sent.map((s) => ({ key: s.key, answer: s.status as Answer, success: s.status === 200 && s.body === 'success' })), handlerRuns, replies };
    const rejectedLines = lines.filter((l) => l.layer === 'receive' && l.outcome === 'rejected');
    const reasons = rejectedLines.map((l) => `${String(l.status)} ${String(l.reason)}`);
    const forged = sent.slice(1);
    const forgedSet = new Set(forgedOpenids);
    const forgedRuns = handlerRuns.filter((o) => forgedSet.has(o)).length;
    const forgedReplies = replies.filter((o) => forgedSet.has(o)).length;
    const genuineRuns = handlerRuns.filter((o) => o === genuineOpenid).length;
    const targets: FaultTarget[] = [
      { name: 'forgeries refused', met: forged.every((s) => s.status >= 400 && s.status < 500), detail: `${forged.filter((s) => s.status >= 400 && s.status < 500).length} of ${forged.length} forged or replayed pushes answered 4xx (statuses ${[...new Set(forged.map((s) => s.status))].join(', ')})` },
      { name: 'no forged handler run', met: forgedRuns === 0, detail: `${forgedRuns} handler runs for forged openids (target 0)` },
      { name: 'no forged reply', met: forgedReplies === 0, detail: `${forgedReplies} replies to forged openids (target 0)` },
      { name: 'genuine handled once', met: genuineRuns === 1 && sent[0]!.status === 200, detail: `genuine push answered ${sent[0]!.status}, handled ${genuineRuns} times (target 1)` },
    ];
    const byReason: Record<string, number> = {};
    for (const r of reasons) byReason[r] = (byReason[r] ?? 0) + 1;
    const notes = [`receive log rejections by status and reason: ${JSON.stringify(byReason)}`, `${FORGERIES} plaintext forgeries from the genuine URL without encrypt_type/msg_signature, 1 replay of the genuine URL with another encrypted body`];
    // Only the genuine push may be counted for loss: the forged ones are meant to be refused.
    return caseResult({ name: NAME, title: TITLE, variant: mode, record, drainMs, targets, notes });
  } finally {
    await stack.stop();
  }
}

export const forgery: FaultCase = {
  name: NAME,
  title: TITLE,
  async run(options) {
    return [await runMode('safe', options), await runMode('compat', options)];
  },
};
