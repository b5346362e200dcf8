// Every builder produces the body WeChat documents for custom/send, and the mock WeChat API
// (which checks bodies as WeChat does) accepts each one through the real client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createMockWeChat } from '../../src/dev/mock-wechat/index.js';
import { createWeChatClient } from '../../src/wechat-api/client.js';
import { createTokenKeeper } from '../../src/wechat-api/token-keeper.js';
import { normalizeReplies, reply, type Reply } from '../../src/worker/replies.js';
import { captureLogs } from '../helpers/log-capture.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { redisKeys } from '../../src/redis-keys.js';

const ALL: [string, Reply, Record<string, unknown>][] = [
  ['text', reply.text('hi'), { text: { content: 'hi' } }],
  ['image', reply.image('MEDIA'), { image: { media_id: 'MEDIA' } }],
  ['voice', reply.voice('MEDIA'), { voice: { media_id: 'MEDIA' } }],
  ['video', reply.video({ mediaId: 'M', thumbMediaId: 'T', title: 't', description: 'd' }), { video: { media_id: 'M', thumb_media_id: 'T', title: 't', description: 'd' } }],
  ['music', reply.music({ musicUrl: 'http://m', thumbMediaId: 'T', title: 't' }), { music: { title: 't', musicurl: 'http://m', hqmusicurl: 'http://m', thumb_media_id: 'T' } }],
  ['news', reply.news({ title: 't', url: 'https://u', picUrl: 'https://p' }), { news: { articles: [{ title: 't', url: 'https://u', picurl: 'https://p' }] } }],
  ['mpnews', reply.mpnews('MEDIA'), { mpnews: { media_id: 'MEDIA' } }],
  ['mpnewsarticle', reply.mpnewsarticle('ART'), { mpnewsarticle: { article_id: 'ART' } }],
  ['msgmenu', reply.msgmenu({ head: 'h', items: [{ id: '1', content: 'yes' }], tail: 't' }), { msgmenu: { head_content: 'h', list: [{ id: '1', content: 'yes' }], tail_content: 't' } }],
  ['wxcard', reply.wxcard('CARD'), { wxcard: { card_id: 'CARD' } }],
  ['miniprogrampage', reply.miniprogrampage({ title: 't', appid: 'wxmini', pagepath: 'p/i', thumbMediaId: 'T' }), { miniprogrampage: { title: 't', appid: 'wxmini', pagepath: 'p/i', thumb_media_id: 'T' } }],
];

describe('reply builders', () => {
  it.each(ALL)('%s', (msgtype, built, payload) => {
    expect(built).toEqual({ msgtype, ...payload });
  });

  it('typing is its own kind', () => {
    expect(reply.typing()).toEqual({ msgtype: 'typing', command: 'Typing' });
  });

  it('normalizeReplies: strings are text, nothing is nothing, long text is split, junk is a TypeError', () => {
    expect(normalizeReplies(undefined)).toEqual([]);
    expect(normalizeReplies(null)).toEqual([]);
    expect(normalizeReplies('a')).toEqual([reply.text('a')]);
    expect(normalizeReplies(['a', reply.image('m'), null, ''])).toEqual([reply.text('a'), reply.image('m')]);
    expect(normalizeReplies('x'.repeat(3000))).toHaveLength(2);
    expect(() => normalizeReplies({ msgtype: 'fax' } as never)).toThrow(TypeError);
    expect(() => normalizeReplies(42 as never)).toThrow(TypeError);
  });
});

describe('every reply type is accepted by the mock WeChat API', () => {
  const prefix = testPrefix('replies');
  const redis = new Redis(REDIS_URL);
  const mock = createMockWeChat({}, { appsecrets: 'any' });
  let close: () => Promise<void>;
  let client: ReturnType<typeof createWeChatClient>;
  beforeAll(async () => {
    const l = await mock.listen();
    close = l.close;
    const { logger } = captureLogs();
    const apps = [{ appid: 'wxreplies', token: 'tok', appsecret: 's', tokenApi: 'stable' as const, mode: 'plain' as const, replyMode: 'custom' as const, queueShards: 1 }];
    const tokenKeeper = createTokenKeeper({ redis, logger }, { apps, apiBase: l.url, keys: redisKeys({ prefix }) });
    client = createWeChatClient({ tokenKeeper, logger }, { apiBase: l.url });
  });
  afterAll(async () => {
    await close();
    await deleteKeys(prefix);
    redis.disconnect();
  });

  it.each(ALL)('%s', async (_t, built) => {
    const before = mock.state.sent().length;
    await client.sendCustom('wxreplies', { touser: 'oReplyTest', ...built });
    expect(mock.state.sent()).toHaveLength(before + 1);
  });
});
