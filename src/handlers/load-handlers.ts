// Loads the account's handlers module (WXGATE_HANDLERS): a path resolved from the cwd. Its
// default export (or an export named `handlers`) is what defineHandlers returned, or the setup
// function itself. Unset: the built-in demo. Any problem stops the start with one message
// naming the variable, the file and the real error (issue 16: a failed load used to surface as
// a misleading `Cannot require() ES Module … in a cycle`).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { Bot } from '../worker/router.js';
import { defineHandlers, isHandlers, type Handlers } from './define-handlers.js';
import { HandlersImportError, importHandlersModule } from './import-handlers-module.js';

/** What the module exports as its handlers; a CommonJS module (tsx in a package without "type": "module") nests them in `default`. */
function exportedHandlers(mod: Record<string, unknown>): unknown {
  const nested = typeof mod.default === 'object' && mod.default !== null ? (mod.default as Record<string, unknown>) : {};
  const found = [mod.default, mod.handlers, nested.default, nested.handlers];
  return found.find(isHandlers) ?? found.find((v) => typeof v === 'function');
}

export async function loadHandlers(spec: string | undefined, { cwd = process.cwd() }: { cwd?: string } = {}): Promise<Handlers> {
  if (spec === undefined) return (await import('./demo.js')).default;
  const path = resolve(cwd, spec);
  const where = `WXGATE_HANDLERS=${spec} (${path})`;
  if (!existsSync(path)) {
    throw new ConfigError(`WXGATE_HANDLERS=${spec}: no file at ${path}; point it at your handlers module (e.g. ./handlers.ts), relative to ${cwd}.`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importHandlersModule(path);
  } catch (err) {
    const cause = err instanceof HandlersImportError ? (err.cause as Error) : undefined;
    if (cause instanceof ConfigError) throw new ConfigError(`${where}: ${cause.message}`);
    throw new ConfigError(`${where} could not be loaded: ${(err as Error).message}`);
  }
  const exported = exportedHandlers(mod);
  if (isHandlers(exported)) return exported;
  if (typeof exported === 'function') {
    try {
      return defineHandlers(exported as (bot: Bot) => void);
    } catch (err) {
      throw new ConfigError(`${where}: ${(err as Error).message}`);
    }
  }
  const names = Object.keys(mod);
  throw new ConfigError(`${where} exports no handlers (${names.length ? `it exports ${names.join(', ')}` : 'it exports nothing'}): end it with \`export default defineHandlers((bot) => { … })\`.`);
}
