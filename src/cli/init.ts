// `wxgate init [dir]`: a new handlers project that starts with `npm install` and `npm start`:
// package.json, the README's handlers module and a test of one handler, .env.example with every
// variable the account needs (and .env, the copy to fill in). Never overwrites a file.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ENV_EXAMPLE, GITIGNORE, packageJson, readme, TSCONFIG } from './init-files.js';

const USAGE = `usage: wxgate init [dir] [--wxgate SPEC]

Writes a handlers project into dir (default: the current directory): package.json, handlers.ts
(the README's examples), handlers.test.ts, .env.example and .env, tsconfig.json, .gitignore,
README.md. Existing files are never overwritten. Then: cd dir, fill in .env, npm install, npm start.

  --wxgate SPEC   how the project depends on wxgate (default ^<this version>): a tarball from
                  \`npm pack\`, a path or a git URL while the version is not on the registry
`;

const PACKAGE_ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, PACKAGE_ROOT), 'utf8');

/** A valid npm package name from the directory's name. */
function packageName(dir: string): string {
  const name = basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+|-+$/g, '');
  return name || 'wechat-handlers';
}

/** A tarball or directory given by path is written as an absolute file: spec, so it holds from the new project too. */
function dependencySpec(given: string | undefined, version: string): string {
  if (given === undefined) return `^${version}`;
  return existsSync(given) ? `file:${resolve(given)}` : given;
}

function files(dir: string, wxgateSpec: string): Record<string, string> {
  const name = packageName(dir);
  return {
    'package.json': packageJson({ name, wxgateSpec }),
    'handlers.ts': read('examples/handlers.ts'),
    'handlers.test.ts': read('examples/handlers.test.ts'),
    '.env.example': ENV_EXAMPLE,
    '.env': ENV_EXAMPLE,
    'tsconfig.json': TSCONFIG,
    '.gitignore': GITIGNORE,
    'README.md': readme({ name }),
  };
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { wxgate: { type: 'string' }, help: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`wxgate init: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length > 1) {
    process.stderr.write(`wxgate init: one directory, not ${positionals.length}\n\n${USAGE}`);
    return 2;
  }
  const dir = resolve(positionals[0] ?? '.');
  const { version } = JSON.parse(read('package.json')) as { version: string };
  const wanted = files(dir, dependencySpec(values.wxgate, version));
  const existing = Object.keys(wanted).filter((f) => existsSync(join(dir, f)));
  if (existing.length > 0) {
    process.stderr.write(`wxgate init: ${dir} already has ${existing.join(', ')}: nothing was written; choose an empty directory or move them away.\n`);
    return 1;
  }
  await mkdir(dir, { recursive: true });
  for (const [file, content] of Object.entries(wanted)) await writeFile(join(dir, file), content, { flag: 'wx' });
  const cd = positionals[0];
  process.stdout.write(
    `Created a handlers project in ${dir}: ${Object.keys(wanted).join(', ')}.\n\nNext:\n${cd ? `  cd ${cd}\n` : ''}  (fill in .env: the account's values from the MP console)\n  npm install\n  npm start\n`,
  );
  return 0;
}
