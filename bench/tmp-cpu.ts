import { randomUUID } from 'node:crypto';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPush, textMessage, type PushMode } from '../src/dev/pushes.js';
import { runLoad } from './lib/load.js';
import { startTarget } from './lib/target.js';
import { deletePrefix } from './lib/redis-cleanup.js';
const ACCOUNT = { appid: 'wxbench000000001', token: 'benchtoken', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };
function cpuMs(pid: number) { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; }
let seq = 0;
const pool = (n: number, mode: PushMode) => Array.from({ length: n }, () => { seq++; return buildPush(ACCOUNT, textMessage({ openid: 'oB' + (seq % 100), content: 'hello ' + seq, msgId: `${Date.now()}${String(seq).padStart(7, '0')}` }), { mode }); });
const targets: [string, string, PushMode, Record<string, string>][] = [
  ['bare', 'bare.ts', 'plain', {}],
  ['co-empty', 'co-wechat.ts', 'plain', { BENCH_APPID: ACCOUNT.appid, BENCH_TOKEN: ACCOUNT.token }],
  ['co-add', 'co-wechat.ts', 'plain', { BENCH_APPID: ACCOUNT.appid, BENCH_TOKEN: ACCOUNT.token, BENCH_ENQUEUE: '1' }],
  ['wx-plain', 'wxgate.ts', 'plain', {}],
  ['wx-aes', 'wxgate.ts', 'aes', {}],
];
const only = process.argv.slice(2);
for (const [name, script, mode, env] of targets) {
  if (only.length && !only.includes(name)) continue;
  const prefix = 'cpu-' + randomUUID().slice(0, 6);
  const t = await startTarget(script, { ...env, BENCH_PREFIX: prefix, WECHAT_APPID: ACCOUNT.appid, WECHAT_TOKEN: ACCOUNT.token, WECHAT_ENCODING_AES_KEY: ACCOUNT.encodingAESKey, WXGATE_PREFIX: prefix, WXGATE_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'sp')) }, '/tmp/cpu-' + name + '.log');
  const pid = Number(readFileSync('/proc/self/stat', 'utf8')) || 0; void pid;
  await runLoad(t.url, pool(1500, mode), { durationS: 2, connections: 20 });
  const cpid = t.pid;
  const c0 = cpuMs(cpid);
  const r = await runLoad(t.url, pool(6000, mode), { durationS: 6, connections: 20, overallRate: 800 });
  const c1 = cpuMs(cpid);
  console.log(name.padEnd(10), 'req', r.requests, 'cpu µs/req', Math.round(((c1 - c0) * 1000) / r.requests), 'p50', r.p50, 'p99', r.p99, 'non2xx', r.non2xx);
  await t.stop();
  await deletePrefix('redis://127.0.0.1:6379', prefix);
}
