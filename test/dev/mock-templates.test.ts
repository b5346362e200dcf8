// The mock's template/send checks what WeChat checks, and pushes TEMPLATESENDJOBFINISH back
// signed (and, in safe mode, encrypted) as WeChat does.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMockWeChat, type MockWeChat } from '../../src/dev/mock-wechat/index.js';
import { createMessageCipher } from '../../src/wechat/cipher.js';
import { sha1Signature } from '../../src/wechat/signature.js';
import { parseXml } from '../../src/wechat/xml.js';

const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
let mock: MockWeChat;
let url: string;
let close: () => Promise<void>;
let token: string;
let server: Server | undefined;
const pushes: { query: URLSearchParams; body: string }[] = [];

beforeEach(async () => {
  mock = createMockWeChat({}, { appsecrets: 'any' });
  ({ url, close } = await mock.listen());
  token = ((await (await fetch(`${url}/cgi-bin/token?grant_type=client_credential&appid=wxm1&secret=s`)).json()) as { access_token: string }).access_token;
});
afterEach(async () => {
  await close();
  server?.close();
  server = undefined;
  pushes.length = 0;
});

const send = async (body: Record<string, unknown>) => (await (await fetch(`${url}/cgi-bin/message/template/send?access_token=${token}`, { method: 'POST', body: JSON.stringify(body) })).json()) as Record<string, unknown>;
const tpl = (touser: string, extra: Record<string, unknown> = {}) => ({ touser, template_id: 'TPL_1', data: { first: { value: 'a' } }, ...extra });

async function receiver(): Promise<string> {
  server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      pushes.push({ query: new URL(req.url!, 'http://x').searchParams, body: Buffer.concat(chunks).toString('utf8') });
      res.end('success');
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server!.address() as { port: number }).port}/wechat/wxm1`;
}

describe('mock template/send', () => {
  it('checks template ids, data keys and followers; answers msgids', async () => {
    mock.state.templates.configure({ templates: { TPL_1: ['first'] }, unfollowed: ['oGone'] });
    expect(await send(tpl('oA'))).toMatchObject({ errcode: 0, msgid: expect.any(Number) });
    expect(await send(tpl('oA', { template_id: 'TPL_X' }))).toMatchObject({ errcode: 40037 });
    expect(await send(tpl('oA', { data: { first: { value: '' } } }))).toMatchObject({ errcode: 47003 });
    expect(await send(tpl('oGone'))).toMatchObject({ errcode: 43004 });
    expect(await send(tpl('bad openid'))).toMatchObject({ errcode: 40003 });
    expect(mock.state.templates.stats().accepted).toBe(1);
  });

  it('client_msg_id: the same one again for the same openid sends nothing more and answers the first msgid', async () => {
    const a = await send(tpl('oA', { client_msg_id: 'c1_oA' }));
    const b = await send(tpl('oA', { client_msg_id: 'c1_oA' }));
    const c = await send(tpl('oB', { client_msg_id: 'c1_oA' }));
    expect(b).toEqual({ errcode: 0, errmsg: 'ok', msgid: a.msgid });
    expect(c.msgid).not.toBe(a.msgid);
    expect(mock.state.templates.stats()).toMatchObject({ accepted: 2, duplicates: 1 });
    expect(mock.state.sent({ touser: 'oA' })).toHaveLength(1);
  });

  it('a daily quota: 45009 after N accepted calls, until it is reset', async () => {
    mock.state.templates.configure({ dailyQuota: 2 });
    expect((await send(tpl('o1'))).errcode).toBe(0);
    expect((await send(tpl('o2'))).errcode).toBe(0);
    expect((await send(tpl('o3'))).errcode).toBe(45009);
    await fetch(`${url}/__mock/templates/reset-quota`, { method: 'POST', body: '{}' });
    expect((await send(tpl('o3'))).errcode).toBe(0);
  });

  it.each(['plain', 'safe'] as const)('%s mode: the delivery report is pushed to the server URL, signed with the Token', async (mode) => {
    const target = await receiver();
    const cfg = await fetch(`${url}/__mock/templates`, {
      method: 'POST',
      body: JSON.stringify({ blocked: ['oBlock'], reports: { url: target, delayMs: 10, accounts: { wxm1: { token: 'tok123', encodingAESKey: KEY, mode } } } }),
    });
    expect(cfg.status).toBe(200);
    const sent = await send(tpl('oBlock'));
    await mock.state.templates.drained();
    expect(pushes).toHaveLength(1);
    const { query, body } = pushes[0]!;
    expect(query.get('signature')).toBe(sha1Signature(['tok123', query.get('timestamp')!, query.get('nonce')!]));
    let xml = body;
    if (mode === 'safe') {
      expect(query.get('encrypt_type')).toBe('aes');
      const encrypt = parseXml(body).Encrypt as string;
      expect(query.get('msg_signature')).toBe(sha1Signature(['tok123', query.get('timestamp')!, query.get('nonce')!, encrypt]));
      expect(body).not.toContain('TEMPLATESENDJOBFINISH');
      xml = createMessageCipher({ appid: 'wxm1', encodingAESKey: KEY }).decrypt(encrypt);
    }
    expect(parseXml(xml)).toMatchObject({ MsgType: 'event', Event: 'TEMPLATESENDJOBFINISH', FromUserName: 'oBlock', MsgID: String(sent.msgid), Status: 'failed:user block' });
    expect(mock.state.templates.stats().reports).toMatchObject({ pushed: 1, byStatus: { 'failed:user block': 1 } });
  });
});
