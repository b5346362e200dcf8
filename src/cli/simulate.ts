// `wxgate simulate`: push signed (and encrypted) messages to a URL as WeChat does — 5 s timeout,
// 3 deliveries, the same MsgId on each — and summarise in the words of WeChat's alerts.
// Exit 0 when every message was acknowledged on its first delivery (and no passive reply in the
// answers is one WeChat would refuse), 1 otherwise, 2 for bad usage.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { isSimKind, SIM_KINDS, type SimKind } from '../dev/simulator/message-kinds.js';
import { renderSummary } from '../dev/simulator/render-summary.js';
import { positiveInt, resolveTarget, TARGET_OPTIONS, UsageError } from '../dev/simulator/resolve-target.js';
import { simulate } from '../dev/simulator/simulate.js';
import type { SimulateOptions } from '../dev/simulator/types.js';
import { waitUntilReady } from '../dev/simulator/wait-ready.js';
import { printProbe } from './probe.js';

const USAGE = `usage: wxgate simulate [--url http://127.0.0.1:3000/wechat[/appid]] [--appid wx…] [--token …]
                       [--aes-key …] [--mode plain|compat|aes] [--kind text,click,…] [--content …]
                       [--openid o… | --users N] [--count N] [--rate R] [--concurrency C] [--json]
                       [--wait SECONDS]
       wxgate simulate --probe [target flags]       (same as wxgate probe)

Pushes --count messages (default 1) as WeChat does: signed, encrypted in compat/aes mode, 5 s for
an answer, up to 3 deliveries each with the same MsgId. Only \`success\`, an empty body or a passive
reply XML counts as an answer; the summary names the rest as WeChat's alerts do:
请求超时 (no answer in 5 s), 回应失败 (another answer), 连接超时 (no connection in 3 s).

  --kind          ${SIM_KINDS.join('|')} (comma-separated: sent in turn)
  --content       text: the Content; link: Title; click: EventKey; view: URL; scan: scene
  --users N       N distinct synthetic openids in turn (default 1); one user's events get distinct
                  CreateTime seconds, as WeChat dedups events by FromUserName + CreateTime
  --rate R        messages started per second (default: as fast as --concurrency allows)
  --concurrency   messages in flight (default 50)
  --wait S        first wait up to S seconds (default 30) for the target's /readyz to answer 200
                  (or 404: a server without it), so a gateway started just before is listening;
                  0 pushes at once
  --timeout-ms, --connect-timeout-ms, --retry-interval-ms, --deliveries, --max-seconds: WeChat's
                  5000, 3000, 5000, 3 and a 600 s bound, changeable for experiments
  --mode          plain, compat (compatibility mode's envelope) or aes; default: as the account
                  accepts (WECHAT_MESSAGE_MODE): plain for plain, aes for safe and compat
Defaults for the account and URL: WECHAT_* / WXGATE_APPS_FILE / PORT, as wxgate uses them.
`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  kind: { type: 'string' },
  content: { type: 'string' },
  openid: { type: 'string' },
  users: { type: 'string' },
  count: { type: 'string' },
  rate: { type: 'string' },
  concurrency: { type: 'string' },
  'connect-timeout-ms': { type: 'string' },
  'retry-interval-ms': { type: 'string' },
  deliveries: { type: 'string' },
  'max-seconds': { type: 'string' },
  json: { type: 'boolean' },
  probe: { type: 'boolean' },
  wait: { type: 'string' },
} as const;

function kinds(raw: string | undefined): SimKind[] {
  const list = (raw ?? 'text').split(',').map((k) => k.trim()).filter(Boolean);
  const bad = list.find((k) => !isSimKind(k));
  if (bad !== undefined || list.length === 0) throw new UsageError(`--kind ${raw}: use ${SIM_KINDS.join(', ')}`);
  return list as SimKind[];
}

function rate(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--rate ${raw}: give messages per second, > 0`);
  return n;
}

export async function run(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  try {
    const { values: v } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
    if (v.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const target = resolveTarget(v, loadConfig(env, { requireApps: false }));
    const timeoutMs = positiveInt('timeout-ms', v['timeout-ms'], 5000);
    if (v.probe) return await printProbe(target, timeoutMs);
    const options: SimulateOptions = {
      ...target,
      kinds: kinds(v.kind),
      content: v.content,
      openid: v.openid,
      users: positiveInt('users', v.users, 1),
      count: positiveInt('count', v.count, 1),
      rate: rate(v.rate),
      concurrency: positiveInt('concurrency', v.concurrency, 50),
      timeoutMs,
      connectTimeoutMs: positiveInt('connect-timeout-ms', v['connect-timeout-ms'], 3000),
      retryIntervalMs: positiveInt('retry-interval-ms', v['retry-interval-ms'], timeoutMs, { min: 0 }),
      maxDeliveries: positiveInt('deliveries', v.deliveries, 3),
      maxDurationMs: positiveInt('max-seconds', v['max-seconds'], 600) * 1000,
    };
    // Every flag is checked before the wait: a usage error answers at once.
    const waitS = positiveInt('wait', v.wait, 30, { min: 0 });
    if (waitS > 0) {
      const readiness = await waitUntilReady(target.url, { timeoutMs: waitS * 1000 });
      if (!readiness.ready) {
        process.stderr.write(`wxgate simulate: ${new URL('/readyz', target.url).href} did not answer 200 within ${waitS} s (last: ${readiness.last}): is the gateway running? (--wait 0 pushes anyway)\n`);
        return 1;
      }
    }
    const summary = await simulate(options);
    process.stdout.write(v.json ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary));
    // A passive reply WeChat would refuse (bad signature, not decryptable, another addressee) fails the run too.
    return summary.acknowledged.first === summary.messages && summary.notSent === 0 && summary.passiveRefused === 0 ? 0 : 1;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`wxgate simulate: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}
