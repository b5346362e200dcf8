import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createHandlerContext } from '../../src/worker/handler-context.js';
import { reply, type Reply } from '../../src/worker/replies.js';
import { defineHandlers } from '../../src/handlers/define-handlers.js';
import { runHandler } from '../../src/handlers/run-handler.js';

function setup(remaining = 5) {
  const queued: [number, Reply][] = [];
  const running = createHandlerContext({
    appid: 'wxA',
    message: {},
    openid: 'o1',
    dedupKey: 'm_wxA_1',
    attempt: 1,
    log: createLogger({ level: 'silent' }),
    signal: new AbortController().signal,
    quotaWindow: { kind: 'message', allowed: 5, remaining, expiresAt: Date.now() + 1000 },
    enqueue: async (r, index) => {
      queued.push([index, r]);
    },
  });
  return { ...running, queued };
}

describe('handler context', () => {
  it('ctx.replyMode: custom unless the job says otherwise (issue 17); runHandler lets a test choose it', async () => {
    expect(setup().ctx.replyMode).toBe('custom');
    const handlers = defineHandlers((bot) => bot.on('text', (_m, ctx) => `mode ${ctx.replyMode}`));
    expect((await runHandler(handlers, { MsgType: 'text', Content: 'x', MsgId: '1' }, { replyMode: 'passive' })).replies).toEqual([reply.text('mode passive')]);
  });

  it('ctx.reply and ctx.typing take indexes in call order; returned replies come after', async () => {
    const { ctx, finish, queued } = setup();
    await ctx.typing();
    void ctx.reply('a', [reply.image('m'), 'b']); // not awaited: finish() still waits for it
    const total = await finish(['c']);
    expect(total).toBe(5);
    expect(queued.map(([i, r]) => [i, r.msgtype])).toEqual([
      [0, 'typing'],
      [1, 'text'],
      [2, 'image'],
      [3, 'text'],
      [4, 'text'],
    ]);
  });

  it('repliesLeft counts down with each reply, not with typing, and never below 0', async () => {
    const { ctx } = setup(2);
    expect(ctx.repliesLeft).toBe(2);
    await ctx.typing();
    expect(ctx.repliesLeft).toBe(2);
    await ctx.reply('x');
    expect(ctx.repliesLeft).toBe(1);
    await ctx.reply('y', 'z');
    expect(ctx.repliesLeft).toBe(0);
  });

  it('a reply that went in the answer to the push gives its customer-service slot back once ctx.reply resolves (issue 17, reply mode auto)', async () => {
    const sent: string[] = [];
    const { ctx } = createHandlerContext({
      appid: 'wxA',
      message: {},
      openid: 'o1',
      dedupKey: 'm_wxA_2',
      attempt: 1,
      replyMode: 'auto',
      log: createLogger({ level: 'silent' }),
      signal: new AbortController().signal,
      quotaWindow: { kind: 'message', allowed: 5, remaining: 5, expiresAt: Date.now() + 1000 },
      // The first reply goes in the answer, the others through customer service (passive-route.ts).
      enqueue: async (r) => {
        sent.push(r.msgtype);
        return sent.length === 1 ? 'answer' : 'queued';
      },
    });
    const first = ctx.reply('in the answer');
    expect(ctx.repliesLeft).toBe(4); // not known yet: counted
    await first;
    expect(ctx.repliesLeft).toBe(5);
    await ctx.reply('customer service');
    expect(ctx.repliesLeft).toBe(4);
  });

  it('after close (time limit passed), replies are dropped', async () => {
    const { ctx, close, queued } = setup();
    await close();
    await ctx.reply('too late');
    expect(queued).toHaveLength(0);
  });

  it('a bad reply rejects ctx.reply (the handler sees it)', async () => {
    const { ctx } = setup();
    await expect(ctx.reply({ msgtype: 'fax' } as never)).rejects.toThrow(TypeError);
  });
});
