// The faults suite's retries case (issue 14): WeChat's 3 deliveries of one message — the same
// push bytes each time, as WeChat resends — in four patterns, several messages per pattern in
// plaintext and safe mode alternately: 5 s apart, 3 at once, 3 at once across two receivers on
// the same Redis, and across a Redis outage (the first delivery spooled while Redis is down, the
// other two after it is back). Target per message: 1 handler run and 1 reply at the mock.
import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildPush, textMessage, type BuiltPush } from '../../src/dev/pushes.js';
import { deliver, type DeliveryResult } from '../../src/dev/simulator/deliver.js';
import type { MessageResult } from '../../src/dev/simulator/types.js';
import type { FaultCase, FaultCaseResult, FaultTarget } from './case.js';
import { caseResult } from './result.js';
import { ACCOUNT, startStack, isSuccess, type FaultStack } from './stack.js';

const NAME = 'wechat-retries';
const TITLE = "WeChat's 3 deliveries of one message: 5 s apart, at once, across two receivers, across a Redis outage";
const PUSH_ACCOUNT = { appid: ACCOUNT.appid, token: ACCOUNT.token, encodingAESKey: ACCOUNT.aesKey };
const MESSAGES = 7;
/** WeChat's real spacing: the dedup is by message in Redis, not by time, but the real gap costs only ~10 s. */
const GAP_MS = 5000;
type Pattern = '5s-apart' | 'at-once' | 'two-receivers' | 'across-outage';
const PATTERNS: readonly Pattern[] = ['5s-apart', 'at-once', 'two-receivers', 'across-outage'];

const agent = new Agent({ keepAlive: false });
const send = (url: string, push: BuiltPush) => deliver(new URL(push.path, url), push, { agent, timeoutMs: 5000, connectTimeoutMs: 3000 });

/** The message's 3 deliveries as the pattern wants them (the outage is handled by the caller). */
async function deliveries(pattern: Pattern, push: BuiltPush, urls: readonly string[]): Promise<DeliveryResult[]> {
  if (pattern === 'at-once') return Promise.all([0, 1, 2].map(() => send(urls[0]!, push)));
  if (pattern === 'two-receivers') return Promise.all([0, 1, 2].map((i) => send(urls[i % 2]!, push)));
  const out: DeliveryResult[] = [];
  for (let i = 0; i < 3; i += 1) {
    if (i > 0) await sleep(GAP_MS);
    out.push(await send(urls[0]!, push));
  }
  return out;
}

async function runPattern(stack: FaultStack, pattern: Pattern): Promise<{ results: MessageResult[]; outageNote?: string }> {
  const urls = stack.serves.map((s) => s.url);
  const pushes = Array.from({ length: MESSAGES }, (_, i) => {
    const openid = `o_retry_${pattern}_${i}`;
    return { openid, push: buildPush(PUSH_ACCOUNT, textMessage({ openid, content: `retry ${pattern} ${i}`, msgId: `6${Date.now()}${i}` }), { mode: i % 2 === 0 ? 'plain' : 'aes' }) };
  });
  const toResult = (openid: string, ds: DeliveryResult[]): MessageResult => ({ openid, deliveries: ds, ackedOn: ds.findIndex(isSuccess) + 1 }) as unknown as MessageResult;
  if (pattern !== 'across-outage') {
    const results = await Promise.all(pushes.map(async ({ openid, push }) => toResult(openid, await deliveries(pattern, push, urls))));
    return { results };
  }
  // The first delivery while Redis is down (spooled), the other two 5 s apart once it is back.
  await stack.redis.stop();
  const first = await Promise.all(pushes.map(({ push }) => send(urls[0]!, push)));
  await stack.redis.start();
  const rest = await Promise.all(
    pushes.map(async ({ push }) => {
      const out: DeliveryResult[] = [];
      for (let i = 0; i < 2; i += 1) {
        await sleep(i === 0 ? 1000 : GAP_MS);
        out.push(await send(urls[0]!, push));
      }
      return out;
    }),
  );
  const results = pushes.map(({ openid }, i) => toResult(openid, [first[i]!, ...rest[i]!]));
  return { results, outageNote: `first deliveries while Redis was down: ${first.filter(isSuccess).length} of ${MESSAGES} answered success (spooled); later deliveries 1 s and 6 s after Redis was back` };
}

export const wechatRetries: FaultCase = {
  name: NAME,
  title: TITLE,
  async run({ workDir, log }): Promise<FaultCaseResult[]> {
    // AOF with fsync always: the outage pattern restarts Redis, which must keep the dedup records
    // (losing them is the data-loss case, not this one).
    const stack = await startStack({ workDir, serves: 2, workers: 2, redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always'], log });
    try {
      const out: FaultCaseResult[] = [];
      for (const pattern of PATTERNS) {
        const { results, outageNote } = await runPattern(stack, pattern);
        const drainMs = await stack.drain(results, 30_000);
        await sleep(1500); // a late second handler run or reply would show up here
        const record = stack.record(results);
        const runs = new Map<string, number>();
        for (const k of record.handlerRuns) runs.set(k, (runs.get(k) ?? 0) + 1);
        const once = results.filter((r) => runs.get(r.openid) === 1).length;
        const targets: FaultTarget[] = [{ name: 'handled once', met: once === results.length, detail: `${once} of ${results.length} messages handled exactly once (target all)` }];
        const notes = [`${MESSAGES} messages × 3 deliveries, plaintext and safe mode alternating`, ...(outageNote ? [outageNote] : [])];
        if (pattern === '5s-apart') notes.push('deliveries at WeChat\'s real 5 s spacing (the receiver\'s dedup keys on the message in Redis, not on timing)');
        out.push(caseResult({ name: NAME, title: TITLE, variant: pattern, record, drainMs, targets, notes }));
        log(`${pattern}: ${JSON.stringify(out.at(-1)!.targets.map((t) => [t.name, t.met]))}`);
      }
      return out;
    } finally {
      await stack.stop();
      agent.destroy();
    }
  },
};
