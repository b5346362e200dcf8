// runHandler in reply modes passive and auto: which reply WeChat's answer carries and which go
// through customer service, decided by the worker's own passive route.
import { describe, expect, it } from 'vitest';
import { defineHandlers } from '../../src/handlers/define-handlers.js';
import { runHandler } from '../../src/handlers/run-handler.js';
import { reply } from '../../src/worker/replies.js';

const msg = { MsgType: 'text', Content: 'x', MsgId: '1' } as const;
const handlers = defineHandlers((bot) =>
  bot.on('text', async (_m, ctx) => {
    await ctx.typing();
    return ['first', 'second'];
  }),
);

describe('runHandler reply routes', () => {
  it('custom: no answer, every reply through customer service', async () => {
    const run = await runHandler(handlers, msg);
    expect(run.answer).toBeNull();
    expect(run.sent.map((r) => r.msgtype)).toEqual(['typing', 'text', 'text']);
    expect(run.replies).toHaveLength(3);
  });

  it('auto: the first reply in the answer, the typing indicator and the rest through customer service', async () => {
    const run = await runHandler(handlers, msg, { replyMode: 'auto' });
    expect(run.answer).toEqual(reply.text('first'));
    expect(run.sent).toEqual([reply.typing(), reply.text('second')]);
  });

  it('passive: the first reply in the answer, the rest cut; too late: nothing in the answer, nothing sent', async () => {
    const run = await runHandler(handlers, msg, { replyMode: 'passive' });
    expect(run.answer).toEqual(reply.text('first'));
    expect(run.sent).toEqual([]);
    const late = await runHandler(handlers, msg, { replyMode: 'passive', inTime: false });
    expect(late.answer).toBeNull();
    expect(late.sent).toEqual([]);
    expect(late.replies).toHaveLength(3);
  });

  it('auto and too late: every reply through customer service', async () => {
    const run = await runHandler(handlers, msg, { replyMode: 'auto', inTime: false });
    expect(run.answer).toBeNull();
    expect(run.sent).toEqual([reply.typing(), reply.text('first'), reply.text('second')]);
  });
});
