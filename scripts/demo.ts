// `npm run demo`: the whole path on loopback in a few seconds. The mock WeChat API (in this
// process), `wxgate all` (a child process: receiver + workers + token keeper, the built-in echo
// handlers) pointed at it, and the simulator pushing as WeChat does. Prints the pushes going in
// and the replies coming out (read from the mock's GET /__mock/sent), then cleans up its Redis
// keys and temp files. Needs Redis at REDIS_URL (default redis://127.0.0.1:6379).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createMockWeChat } from '../src/dev/mock-wechat/index.js';
import { renderSummary } from '../src/dev/simulator/render-summary.js';
import { simulate } from '../src/dev/simulator/simulate.js';
import type { MessageResult } from '../src/dev/simulator/types.js';
import { startWxgate, type WxgateProcess } from '../src/dev/simulator/wxgate-process.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ACCOUNT = { appid: 'wxdemo0000000001', token: 'wxgatedemo', aesKey: randomBytes(32).toString('base64').slice(0, 43).replace(/[^A-Za-z0-9]/g, 'A') };
const PREFIX = `wxgate-demo-${randomBytes(4).toString('hex')}`;

interface Sent {
  path: string;
  at: number;
  body: { touser?: string; msgtype?: string; text?: { content?: string }; command?: string };
}

async function deletePrefix(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

const short = (openid: string) => `${openid.slice(0, 6)}…${openid.slice(-4)}`;

async function main(): Promise<number> {
  const mock = createMockWeChat({}, { appsecrets: 'any' });
  const mockServer = await mock.listen(0, '127.0.0.1');
  const dir = mkdtempSync(join(tmpdir(), 'wxgate-demo-'));
  let wxgate: WxgateProcess | undefined;
  try {
    console.log(`mock WeChat API   ${mockServer.url}`);
    wxgate = await startWxgate({
      command: 'all',
      logFile: join(dir, 'wxgate.log'),
      env: {
        REDIS_URL,
        WXGATE_PREFIX: PREFIX,
        WXGATE_SPOOL_DIR: join(dir, 'spool'),
        WECHAT_APPID: ACCOUNT.appid,
        WECHAT_APPSECRET: 'demo-secret',
        WECHAT_TOKEN: ACCOUNT.token,
        WECHAT_ENCODING_AES_KEY: ACCOUNT.aesKey,
        WECHAT_MESSAGE_MODE: 'safe', // the default with a key, named here: the simulator pushes in safe mode
        WECHAT_API_BASE: mockServer.url,
      },
    });
    console.log(`wxgate all        ${wxgate.url}/wechat  (pid ${wxgate.child.pid}, Redis prefix ${PREFIX})\n`);

    const pushed = new Map<string, MessageResult>();
    const shown = new Set<number>();
    const count = 6;
    let pushing = true;
    // The workers answer through custom/send; the mock records what it accepted. Poll it while pushing.
    async function showReplies(): Promise<void> {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && (pushing || shown.size < count)) {
        const sent = (await (await fetch(`${mockServer.url}/__mock/sent`)).json()) as Sent[];
        sent.forEach((s, i) => {
          if (shown.has(i) || !s.path.endsWith('/custom/send')) return;
          shown.add(i);
          const content = s.body.text?.content ?? s.body.msgtype ?? '';
          const push = pushed.get(content) ?? pushed.get(`welcome:${s.body.touser}`);
          const after = push ? `  (${s.at - push.sentAt} ms after the push)` : '';
          console.log(`← reply  ${short(s.body.touser ?? '?')}  ${content}${after}`);
        });
        await sleep(50);
      }
    }
    const replies = showReplies();
    const summary = await simulate({
      ...ACCOUNT,
      url: `${wxgate.url}/wechat`,
      mode: 'aes',
      kinds: ['subscribe', 'text', 'text'],
      users: 2,
      count,
      rate: 3,
      concurrency: 1,
      onMessage: (r) => {
        const d = r.deliveries[r.deliveries.length - 1]!;
        const what = r.kind === 'text' ? `text "${r.content}"` : r.kind;
        pushed.set(r.kind === 'text' ? `你说：${r.content}` : `welcome:${r.openid}`, r);
        console.log(`→ push   ${short(r.openid)}  ${what.padEnd(30)} ${d.outcome === 'ack' ? 'success' : d.outcome} in ${Math.round(d.ms)} ms`);
      },
    }).finally(() => {
      pushing = false;
    });
    await replies;
    console.log(`\n${renderSummary(summary)}replies recorded by the mock: ${shown.size} of ${summary.messages}`);
    if (shown.size < summary.messages) console.log(`\nwxgate's last log lines:\n${wxgate.logTail()}`);
    return summary.acknowledged.first === summary.messages && shown.size >= summary.messages ? 0 : 1;
  } finally {
    await wxgate?.stop();
    const deleted = await deletePrefix(PREFIX);
    rmSync(dir, { recursive: true, force: true });
    await mockServer.close();
    console.log(`cleaned up: ${deleted} Redis keys under ${PREFIX}, temp dir ${dir}`);
  }
}

process.exitCode = await main();
