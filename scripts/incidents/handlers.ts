// The handlers module (WXGATE_HANDLERS) of the staged incidents (scripts/stage-incidents.ts):
// texts are echoed, except a text starting "slow" whose handler takes 8 s (an LLM-style answer,
// after WeChat already has its `success`); followers are welcomed; the rest get no reply.
import { setTimeout as sleep } from 'node:timers/promises';
import { defineHandlers } from '../../src/handlers/define-handlers.js';

export default defineHandlers((bot) => {
  bot.on('text', async (msg, ctx) => {
    if (msg.Content.startsWith('slow')) await sleep(8000, undefined, { signal: ctx.signal });
    return `你说：${msg.Content}`;
  });
  bot.on('event.subscribe', () => '欢迎关注！');
  bot.fallback(() => undefined);
});
