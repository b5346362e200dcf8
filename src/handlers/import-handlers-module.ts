// Imports the file WXGATE_HANDLERS names, and turns any failure into one message that names the
// file and the real error (where Node said it, and what to do when the fix is known).
// A .ts module runs through the tsx of the project it lives in: wxgate itself is compiled
// JavaScript and ships no TypeScript compiler (issue 16). Where the process can already import
// TypeScript (a checkout, where bin/wxgate.js runs the sources under tsx; a Node that strips
// types) the first import simply works.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const TYPESCRIPT = /\.[cm]?ts$/;

export class HandlersImportError extends Error {}

/** tsx from the handlers module's own node_modules, registered (ESM and CommonJS hooks); false when it has none. */
async function registerProjectTsx(path: string): Promise<boolean> {
  let entry: string;
  try {
    entry = createRequire(path).resolve('tsx');
  } catch {
    return false;
  }
  await import(pathToFileURL(entry).href); // what `node --import tsx` does
  return true;
}

const AT = /((?:file:\/\/)?\/[^\s()]+:\d+(?::\d+)?)/;

/**
 * Where the problem is, when the error says (a frame in the handlers' file). Node keeps an ES
 * module's syntax error location to its uncaught-error printout, so for JavaScript `node --check`
 * is asked (a failed start only).
 */
function location(err: Error, path: string): string {
  const line = (err.stack ?? '').split('\n').find((l) => l.includes(path) || l.includes(pathToFileURL(path).href));
  let at = line ? AT.exec(line)?.[1] : undefined;
  if (!at && err instanceof SyntaxError && !TYPESCRIPT.test(path)) {
    const first = spawnSync(process.execPath, ['--check', path], { encoding: 'utf8', timeout: 10_000 }).stderr?.split('\n')[0] ?? '';
    at = AT.exec(first)?.[1];
  }
  return at ? ` (at ${at.replace(/^file:\/\//, '')})` : '';
}

function hint(err: Error & { code?: string }): string {
  if (err instanceof SyntaxError && /import statement outside a module|Unexpected token 'export'/.test(err.message)) {
    return ': the module uses import/export but its package is CommonJS; add "type": "module" to its package.json or name the file .mjs';
  }
  if (/^ERR_MODULE_NOT_FOUND$|^MODULE_NOT_FOUND$/.test(err.code ?? '') && /'wxgate(\/handlers)?'/.test(err.message)) {
    return ': install wxgate in the handlers\' project (npm install wxgate, or a tarball from `npm pack`)';
  }
  return '';
}

function describe(err: unknown, path: string): string {
  if (!(err instanceof Error)) return String(err);
  return `${err.constructor.name === 'Error' ? '' : `${err.constructor.name}: `}${err.message}${location(err, path)}${hint(err)}`;
}

export async function importHandlersModule(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    if (!(TYPESCRIPT.test(path) && (err as { code?: string }).code === 'ERR_UNKNOWN_FILE_EXTENSION')) throw new HandlersImportError(describe(err, path), { cause: err });
  }
  if (!(await registerProjectTsx(path))) {
    throw new HandlersImportError('it is TypeScript, which this Node does not run by itself: install tsx in its project (npm install tsx), or compile it and point WXGATE_HANDLERS at the .js file');
  }
  try {
    // Node keeps the failed import of this URL: ask for it again under another one.
    return (await import(`${url}?tsx`)) as Record<string, unknown>;
  } catch (err) {
    throw new HandlersImportError(describe(err, path), { cause: err });
  }
}
