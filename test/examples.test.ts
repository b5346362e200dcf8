import { describe, expect, it } from 'vitest';
import { eventMessage, textMessage } from '../src/dev/pushes.js';
import { loadHandlers } from '../src/handlers/load-handlers.js';
import { toMessage } from '../src/wechat/messages.js';

describe('examples/handlers.ts (the README example)', () => {
  it('loads through WXGATE_HANDLERS resolution and routes most specific first', async () => {
    const { router } = await loadHandlers('examples/handlers.ts');
    const route = (m: Parameters<typeof toMessage>[0]) => router.route('wxany', toMessage(m))?.name;
    expect(route(eventMessage({ openid: 'o1', event: 'CLICK', eventKey: 'MENU_HELP' }))).toBe('event.CLICK:MENU_HELP');
    expect(route(eventMessage({ openid: 'o1', event: 'subscribe' }))).toBe('event.subscribe');
    expect(route(textMessage({ openid: 'o1', content: '天气 北京', msgId: '1' }))).toMatch(/^text~/);
    expect(route(textMessage({ openid: 'o1', content: 'hello', msgId: '2' }))).toBe('text');
    expect(route({ ToUserName: 'gh', FromUserName: 'o1', CreateTime: '1', MsgType: 'brand_new_type' })).toBe('fallback');
  });
});
