// An account's handlers: WXGATE_HANDLERS names this module (WXGATE_HANDLERS=examples/handlers.ts npm start
// here; `wxgate init` copies it into a new project, which imports the same names from wxgate/handlers).
import { defineHandlers, reply, UnrecoverableError } from 'wxgate/handlers';

/** Stands in for a slow call (a database, an LLM): wxgate has already answered WeChat. */
async function lookUpWeather(city: string, signal: AbortSignal): Promise<string> {
  const { setTimeout: sleep } = await import('node:timers/promises');
  await sleep(2000, undefined, { signal }); // rejects with AbortError when the time limit hits
  return `${city}：晴，25°C`;
}

export default defineHandlers((bot) => {
  // Most specific first: event + EventKey, then event, then message type, then the fallback.
  bot.on('event.CLICK', 'MENU_HELP', () => [reply.text('发送“天气 城市”查询天气'), reply.text('或者随便说点什么')]);
  bot.on('event.subscribe', () => reply.text('欢迎关注！'));
  bot.onText(/^天气\s*(.+)$/, async (_msg, ctx, match) => {
    // ctx.replyMode says how the first reply travels (WECHAT_REPLY_MODE): a passive reply, in the
    // answer to the push, has no "typing…"; customer service (custom, or auto when late) has.
    if (ctx.replyMode !== 'passive') await ctx.typing(); // "对方正在输入…"
    const answer = await lookUpWeather(match[1]!, ctx.signal); // aborted at WXGATE_JOB_TIMEOUT_MS
    ctx.log.info({ repliesLeft: ctx.repliesLeft }, 'weather answered'); // carries appid, openid, stamp, dedupKey, reqId
    return answer;
  });
  bot.on('text', (msg) => `你说：${msg.Content}`); // a string is a text reply; long text is split, not cut
  bot.on('image', () => {
    throw new UnrecoverableError('images are not handled'); // failed at once, kept for `wxgate dlq`
  });
  bot.fallback(() => undefined); // anything else: no reply
});
