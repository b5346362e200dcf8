import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { loadHandlers } from '../../src/handlers/load-handlers.js';
import type { HandlerContext } from '../../src/worker/handler-context.js';
import type { WeChatMessage } from '../../src/wechat/messages.js';

const msg = (MsgType: string, extra: Record<string, string>) => ({ ToUserName: 'gh', FromUserName: 'o1', CreateTime: '1', MsgType, ...extra }) as WeChatMessage;
const ctx = { log: { info: () => undefined } } as unknown as HandlerContext;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wxgate-handlers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadHandlers (WXGATE_HANDLERS)', () => {
  it('unset: the built-in demo echoes text and welcomes followers', async () => {
    const { router } = await loadHandlers(undefined);
    expect(await router.route('wx', msg('text', { Content: '你好', MsgId: '1' }))!.run(msg('text', { Content: '你好', MsgId: '1' }), ctx)).toBe('你说：你好');
    const sub = msg('event', { Event: 'subscribe' });
    expect(await router.route('wx', sub)!.run(sub, ctx)).toMatchObject({ msgtype: 'text' });
  });

  it('a .ts module relative to the cwd, exporting defineHandlers(...)', async () => {
    const h = await loadHandlers('test/fixtures/worker/handlers.ts');
    expect(h.router.route('wx', msg('text', { Content: 'slow:1', MsgId: '1' }))!.name).toBe('text~/^slow:(\\d+)$/');
  });

  it('a plain .mjs module exporting the setup function is accepted too', async () => {
    await writeFile(join(dir, 'plain.mjs'), "export default (bot) => { bot.on('text', (m) => 'plain ' + m.Content); };\n");
    const h = await loadHandlers('plain.mjs', { cwd: dir });
    const m = msg('text', { Content: 'x', MsgId: '1' });
    expect(await h.router.route('wx', m)!.run(m, ctx)).toBe('plain x');
  });

  it.each([
    ['missing.ts', undefined, /no file/],
    ['nothing.mjs', 'export const x = 1;\n', /exports no handlers/],
    ['broken.mjs', 'export default (bot) => { bot.on("text", () => 1); bot.on("text", () => 2); };\n', /registered twice/],
    ['throws.mjs', 'throw new Error("boom");\n', /could not be loaded: boom/],
  ])('%s → ConfigError naming WXGATE_HANDLERS', async (file, content, message) => {
    if (content !== undefined) await writeFile(join(dir, file), content);
    const err = await loadHandlers(file, { cwd: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^WXGATE_HANDLERS=/);
    expect((err as Error).message).toMatch(message);
  });

  // The import errors themselves (a CommonJS package, a syntax error, a missing package) are
  // Node's, not vite's: test/package/installed-package.test.ts loads them in the installed package.
  it('a module without handlers: the message names the file and what it does export', async () => {
    await writeFile(join(dir, 'named.mjs'), 'export const bot = 1;\nexport const other = 2;\n');
    const named = (await loadHandlers('named.mjs', { cwd: dir }).catch((e: unknown) => e)) as Error;
    expect(named.message).toMatch(/named\.mjs\) exports no handlers \(it exports bot, other\)/);
  });
});
