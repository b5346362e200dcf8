// The handlers module (WXGATE_HANDLERS) for the slow-handler benchmark: every text takes
// BENCH_HANDLER_MS (default 8 s, an LLM-style answer), then replies through ctx.reply
// (customer-service API). Each run logs "slow handler run" with the MsgId, so the benchmark
// counts runs per message from the log lines.
import { setTimeout as sleep } from 'node:timers/promises';
import { defineHandlers } from '../../src/handlers/define-handlers.js';

const handlerMs = Number(process.env.BENCH_HANDLER_MS ?? 8000);

export default defineHandlers((bot) => {
  bot.on('text', async (msg, ctx) => {
    ctx.log.info({ msgId: msg.MsgId, attempt: ctx.attempt }, 'slow handler run');
    await sleep(handlerMs, undefined, { signal: ctx.signal });
    await ctx.reply(`answered after ${handlerMs} ms: ${msg.Content}`);
  });
});
