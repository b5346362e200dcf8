// `wxgate probe` and `wxgate simulate` as commands: exit codes, the lines they print, defaults
// from wxgate's own configuration. run(argv, env) is called in-process with its output captured.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run as probe } from '../../src/cli/probe.js';
import { run as simulate } from '../../src/cli/simulate.js';
import { PROBE_OPENID } from '../../src/dev/simulator/probe.js';
import type { SimulationSummary } from '../../src/dev/simulator/types.js';
import { sha1Signature } from '../../src/wechat/signature.js';
import { parseXml } from '../../src/wechat/xml.js';
import { closedPort, late, reply, startTinyServer, type Answer, type TinyServer } from './simulator-servers.js';
import { createMessageCipher } from '../../src/wechat/cipher.js';
import { reply as build } from '../../src/worker/replies.js';
import { buildPassiveReply, encryptPassiveReply } from '../../src/wechat/passive-reply.js';

const ENV = { WECHAT_APPID: 'wxsim00000000001', WECHAT_TOKEN: 'simtoken' };
const FLAGS = ['--appid', ENV.WECHAT_APPID, '--token', ENV.WECHAT_TOKEN];

const servers: TinyServer[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function server(answer: Answer): Promise<TinyServer> {
  const s = await startTinyServer(answer);
  servers.push(s);
  return s;
}

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await fn(), out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

/** Answers with a passive text reply to the sender, encrypted when the push was, signed with `token`. */
const passiveAnswer =
  (text: string, { token = ENV.WECHAT_TOKEN, to }: { token?: string; to?: string } = {}): Answer =>
  (req, _n, res) => {
    const push = parseXml(req.body);
    const cipher = createMessageCipher({ appid: ENV.WECHAT_APPID, encodingAESKey: AES_KEY });
    const openid = to ?? (push.Encrypt ? (parseXml(cipher.decrypt(push.Encrypt as string)).FromUserName as string) : (push.FromUserName as string));
    const xml = buildPassiveReply(build.text(text), { toUser: openid, fromUser: 'gh_wxgate', createTime: 1700000000 });
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(req.query.encrypt_type === 'aes' ? encryptPassiveReply(xml, { token, cipher, timestamp: '1700000000', nonce: 'abc' }) : xml);
  };

describe('passive replies in the answer (issue 17)', () => {
  it('probe: prints the reply; in safe mode after checking the signature and decrypting it', async () => {
    const s = await server(passiveAnswer('pong'));
    const plain = await capture(() => probe(['--url', s.url, ...FLAGS], {}));
    expect(plain).toMatchObject({ code: 0, out: expect.stringMatching(/^ok \d+ ms, passive reply text "pong" \(plaintext\)\n$/) });
    const aes = await capture(() => probe(['--url', s.url, ...FLAGS, '--aes-key', AES_KEY, '--mode', 'aes'], {}));
    expect(aes).toMatchObject({ code: 0, out: expect.stringMatching(/^ok \d+ ms, passive reply text "pong" \(encrypted: signature ok, decrypted\)\n$/) });
  });

  it('probe: a reply WeChat would refuse (bad signature, or addressed to another user) fails', async () => {
    const forged = await server(passiveAnswer('pong', { token: 'othertoken' }));
    const r = await capture(() => probe(['--url', forged.url, ...FLAGS, '--aes-key', AES_KEY, '--mode', 'aes'], {}));
    expect(r).toMatchObject({ code: 1, out: 'fail passive reply — WeChat would refuse it: MsgSignature does not match\n' });
    const astray = await server(passiveAnswer('pong', { to: 'oSomeoneElse' }));
    expect((await capture(() => probe(['--url', astray.url, ...FLAGS], {}))).out).toMatch(/^fail passive reply text "pong" — WeChat would refuse it: addressed to oSomeoneElse/);
  });

  it('simulate: the summary shows the first passive reply as WeChat read it', async () => {
    const s = await server(passiveAnswer('hi there'));
    const r = await capture(() => simulate(['--url', s.url, ...FLAGS, '--aes-key', AES_KEY, '--mode', 'aes', '--count', '2', '--wait', '0'], {}));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^passive reply text "hi there" \(encrypted: signature ok, decrypted\)$/m);
    const forged = await server(passiveAnswer('hi there', { token: 'othertoken' }));
    const bad = await capture(() => simulate(['--url', forged.url, ...FLAGS, '--aes-key', AES_KEY, '--mode', 'aes', '--count', '2', '--wait', '0'], {}));
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/^passive reply — WeChat would refuse it: MsgSignature does not match; 2 of 2 WeChat would refuse$/m);
  });
});

describe('wxgate probe', () => {
  it('acknowledged: prints "ok <ms> ms", exits 0; the push is signed, from owxgate-probe, with a fresh MsgId', async () => {
    const s = await server(reply('success'));
    const first = await capture(() => probe(['--url', s.url, ...FLAGS], {}));
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^ok \d+ ms\n$/);
    await capture(() => probe(['--url', s.url, ...FLAGS], {}));
    expect(s.seen).toHaveLength(2);
    const [a, b] = s.seen.map((r) => ({ q: r.query, m: parseXml(r.body) }));
    expect(a!.q.signature).toBe(sha1Signature([ENV.WECHAT_TOKEN, a!.q.timestamp!, a!.q.nonce!]));
    expect(a!.m).toMatchObject({ FromUserName: PROBE_OPENID, MsgType: 'text' });
    expect(a!.m.MsgId).not.toBe(b!.m.MsgId);
  });

  it("answered 'fail': prints the alert word and the answer, exits 1, one delivery only", async () => {
    const s = await server(reply('fail'));
    const r = await capture(() => probe(['--url', s.url, ...FLAGS], {}));
    expect(r.code).toBe(1);
    expect(r.out).toBe('fail 回应失败 (HTTP 200 "fail")\n');
    expect(s.seen).toHaveLength(1);
  });

  it('too slow: 请求超时, exit 1', async () => {
    const s = await server(late(10_000));
    const r = await capture(() => probe(['--url', s.url, ...FLAGS, '--timeout-ms', '1000'], {}));
    expect(r).toMatchObject({ code: 1, out: 'fail 请求超时 (no answer within 1000 ms)\n' });
  });

  it('nothing listening: 连接超时, exit 1', async () => {
    const port = await closedPort();
    const r = await capture(() => probe(['--url', `http://127.0.0.1:${port}/wechat`, ...FLAGS], {}));
    expect(r).toMatchObject({ code: 1, out: 'fail 连接超时 (could not connect: ECONNREFUSED)\n' });
  });

  it('defaults from the config: WECHAT_* and PORT; the AES key switches to safe mode', async () => {
    const s = await server(reply('success'));
    const r = await capture(() => probe([], { ...ENV, PORT: String(s.port), WECHAT_ENCODING_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' }));
    expect(r.code).toBe(0);
    expect(s.seen[0]!.url.startsWith('/wechat?')).toBe(true);
    expect(s.seen[0]!.query.encrypt_type).toBe('aes');
  });

  it.each([
    ['plain', undefined],
    ['compat', 'aes'],
    ['safe', 'aes'],
  ])('an account in mode %s with a key: the probe pushes as it accepts (encrypt_type %s)', async (mode, encryptType) => {
    const s = await server(reply('success'));
    const env = { ...ENV, PORT: String(s.port), WECHAT_ENCODING_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', WECHAT_MESSAGE_MODE: mode };
    expect((await capture(() => probe([], env))).code).toBe(0);
    expect(s.seen[0]!.query.encrypt_type).toBe(encryptType);
    expect(s.seen[0]!.query.msg_signature === undefined).toBe(encryptType === undefined);
  });

  it('bad usage exits 2: no account, an unknown flag, a bad mode, aes without a key, a bad URL', async () => {
    for (const [argv, words] of [
      [[], /no account/],
      [['--nope', ...FLAGS], /Unknown option/],
      [['--mode', 'secret', ...FLAGS], /--mode secret/],
      [['--mode', 'aes', ...FLAGS], /needs --aes-key/],
      [['--url', 'https://example.com/wechat', ...FLAGS], /http:\/\//],
    ] as const) {
      const r = await capture(() => probe([...argv], {}));
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(words);
    }
  });
});

describe('wxgate simulate', () => {
  it('--json: the summary; exit 0 when all were acknowledged first time', async () => {
    const s = await server(reply('success'));
    const r = await capture(() => simulate(['--url', s.url, ...FLAGS, '--count', '5', '--users', '2', '--kind', 'text,subscribe', '--json'], {}));
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as SimulationSummary;
    expect(summary).toMatchObject({ messages: 5, deliveries: 5, kinds: ['text', 'subscribe'], acknowledged: { first: 5 } });
  });

  it('the text summary names WeChat alerts; exit 1 when a message needed a retry', async () => {
    const s = await server(reply('fail'));
    const r = await capture(() => simulate(['--url', s.url, ...FLAGS, '--count', '2', '--retry-interval-ms', '0'], {}));
    expect(r.code).toBe(1);
    expect(r.out).toContain('acknowledged first time 0 (0%), after a retry 0, never 2');
    expect(r.out).toContain('回应失败  6 deliveries, 2 messages');
    expect(r.out).toMatch(/错误样例: \[OpenID=o\w+\]\[Stamp=\d+\]\[3rdUrl=.*\]\[IP=127\.0\.0\.1\]\[Msg=Text\]\[response_length=4\]\[response_content=fail\]/);
    expect(s.seen.filter((r) => r.url.startsWith('/wechat'))).toHaveLength(6);
  });

  it('waits for the target\'s /readyz before the first push: a gateway started just after it meets no closed port', async () => {
    const port = await closedPort();
    const pushed = capture(() => simulate(['--url', `http://127.0.0.1:${port}/wechat`, ...FLAGS, '--count', '2'], {}));
    await new Promise((resolve) => setTimeout(resolve, 700));
    const s = await startTinyServer((req, n, res) => (req.url === '/readyz' && n === 1 ? reply('{"redis":"down"}', 503) : reply('success'))(req, n, res), { port });
    servers.push(s);
    const r = await pushed;
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('acknowledged first time 2 (100%)');
    expect(s.seen.map((q) => q.url.split('?')[0])).toEqual(['/readyz', '/readyz', '/wechat', '/wechat']);
  });

  it('--wait: gives up naming /readyz and its last answer, exit 1, nothing pushed; --wait 0 pushes at once', async () => {
    const s = await server((req, n, res) => (req.url === '/readyz' ? reply('{"redis":"down"}', 503) : reply('success'))(req, n, res));
    const r = await capture(() => simulate(['--url', s.url, ...FLAGS, '--wait', '1'], {}));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\/readyz did not answer 200 within 1 s \(last: HTTP 503 \{"redis":"down"\}\)/);
    expect(s.seen.filter((q) => q.url.startsWith('/wechat'))).toHaveLength(0);
    expect((await capture(() => simulate(['--url', s.url, ...FLAGS, '--wait', '0'], {}))).code).toBe(0);
    expect(s.seen.filter((q) => q.url.startsWith('/wechat'))).toHaveLength(1);
  });

  it('--probe does what wxgate probe does', async () => {
    const s = await server(reply('success'));
    const r = await capture(() => simulate(['--probe', '--url', s.url, ...FLAGS], {}));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok \d+ ms\n$/);
  });

  it('bad usage exits 2', async () => {
    for (const argv of [['--kind', 'poke', ...FLAGS], ['--count', '0', ...FLAGS], ['--rate', '-1', ...FLAGS], ['extra', ...FLAGS]]) {
      expect((await capture(() => simulate(argv, {}))).code, argv.join(' ')).toBe(2);
    }
  });
});
