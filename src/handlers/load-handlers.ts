// Loads the account's handlers module (WXGATE_HANDLERS): a path resolved from the cwd, imported
// with dynamic import (a .ts module works: the binary runs under tsx). Its default export (or an
// export named `handlers`) is what defineHandlers returned, or the setup function itself.
// Unset: the built-in demo. Any problem stops the start with a message naming the variable.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import type { Bot } from '../worker/router.js';
import { defineHandlers, isHandlers, type Handlers } from './define-handlers.js';

export async function loadHandlers(spec: string | undefined, { cwd = process.cwd() }: { cwd?: string } = {}): Promise<Handlers> {
  if (spec === undefined) return (await import('./demo.js')).default;
  const path = resolve(cwd, spec);
  if (!existsSync(path)) {
    throw new ConfigError(`WXGATE_HANDLERS=${spec}: no file at ${path}; point it at your handlers module (e.g. ./handlers.ts), relative to ${cwd}.`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`WXGATE_HANDLERS=${spec}: ${err.message}`);
    throw new ConfigError(`WXGATE_HANDLERS=${spec} could not be loaded: ${(err as Error).message}`);
  }
  const exported = mod.default ?? mod.handlers;
  if (isHandlers(exported)) return exported;
  if (typeof exported === 'function') {
    try {
      return defineHandlers(exported as (bot: Bot) => void);
    } catch (err) {
      throw new ConfigError(`WXGATE_HANDLERS=${spec}: ${(err as Error).message}`);
    }
  }
  throw new ConfigError(`WXGATE_HANDLERS=${spec} exports no handlers: end it with \`export default defineHandlers((bot) => { … })\`.`);
}
