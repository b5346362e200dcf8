// wxgate as a user gets it (issue 16): `npm pack`, installed into empty projects outside the
// checkout, with the registry's dependencies. A plain-JavaScript project and a TypeScript one
// import wxgate/handlers and run `npx wxgate all` against `npx wxgate mock-wechat`; a project
// made by `npx wxgate init` passes its own `npm test` and answers a push after `npm start`.
// No tsx at run time of the package: the JavaScript project has none installed at all.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/simulator/wxgate-process.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { TEST_SECRETS } from '../helpers/secrets.js';
import { npmInstall, run, runToExit, start, waitForOk, type Started } from './scratch.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/.bin/tsc');
const TOKEN = TEST_SECRETS.token;

let dir: string;
let tarball: string;
let mock: Started;
let mockUrl: string;
const prefixes: string[] = [];
const started: Started[] = [];

async function project(name: string, pkg: Record<string, unknown>, deps: string[]): Promise<string> {
  const cwd = join(dir, name);
  await mkdir(cwd);
  await writeFile(join(cwd, 'package.json'), `${JSON.stringify({ name, version: '1.0.0', private: true, ...pkg }, null, 2)}\n`);
  const installed = npmInstall(cwd, deps);
  if (installed.status !== 0) throw new Error(`npm install in ${name} failed:\n${installed.stderr}`);
  return cwd;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wxgate-package-'));
  const packed = run('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], { cwd: ROOT });
  if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
  tarball = join(dir, packed.stdout.trim().split('\n').pop()!);
  // A plain-JavaScript ES-module project with nothing but wxgate, and a CommonJS one written in
  // TypeScript with tsx beside it (the hard case: tsx compiles handlers.ts to CommonJS).
  await project('js-bot', { type: 'module' }, [tarball]);
  await project('ts-bot', {}, [tarball, 'tsx@^4.23.15']);
  const port = await freePort();
  mockUrl = `http://127.0.0.1:${port}`;
  mock = start('npx', ['wxgate', 'mock-wechat', '--port', String(port), '--host', '127.0.0.1'], { cwd: join(dir, 'js-bot') });
  await waitForOk(`${mockUrl}/__mock/stats`, mock);
}, 300_000);

afterAll(async () => {
  await Promise.all([...started, ...(mock ? [mock] : [])].map((p) => p.stop()));
  await Promise.all(prefixes.map((p) => deleteKeys(p)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The account's variables for a gateway in a scratch project, against the mock. */
function gatewayEnv(appid: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  const prefix = testPrefix('pkg');
  prefixes.push(prefix);
  return {
    WECHAT_APPID: appid,
    WECHAT_TOKEN: TOKEN,
    WECHAT_APPSECRET: TEST_SECRETS.appsecret,
    WECHAT_API_BASE: mockUrl,
    REDIS_URL,
    WXGATE_PREFIX: prefix,
    WXGATE_SPOOL_DIR: join(dir, `spool-${prefix}`),
    PORT: String(port),
    HOST: '127.0.0.1',
    ...extra,
  };
}

async function repliesTo(openid: string, count: number): Promise<string[]> {
  for (let i = 0; i < 300; i++) {
    const sent = (await (await fetch(`${mockUrl}/__mock/sent`)).json()) as { body: { touser: string; text?: { content: string } } }[];
    const mine = sent.filter((s) => s.body.touser === openid).map((s) => s.body.text?.content ?? '');
    if (mine.length >= count) return mine;
    await sleep(100);
  }
  throw new Error(`no reply to ${openid} reached the mock`);
}

/** `npx wxgate all` in `cwd` with these handlers; one signed push; the reply the mock received. */
async function pushThroughGateway(cwd: string, handlers: string, appid: string, content: string): Promise<string[]> {
  const port = await freePort();
  const gateway = start('npx', ['wxgate', 'all'], { cwd, env: gatewayEnv(appid, port, { WXGATE_HANDLERS: handlers }) });
  started.push(gateway);
  await waitForOk(`http://127.0.0.1:${port}/readyz`, gateway);
  const openid = `o${appid}user`;
  const sim = run('npx', ['wxgate', 'simulate', '--url', `http://127.0.0.1:${port}/wechat`, '--appid', appid, '--token', TOKEN, '--openid', openid, '--content', content], { cwd });
  expect(sim.status, sim.stdout + sim.stderr).toBe(0);
  const replies = await repliesTo(openid, 1);
  await gateway.stop();
  return replies;
}

const HANDLERS_TS = `import { defineHandlers, reply, type TextMessage } from 'wxgate/handlers';

const shout = (m: TextMessage): string => m.Content.toUpperCase();
export default defineHandlers((bot) => {
  bot.on('text', (m) => \`ts: \${shout(m)}\`);
  bot.on('event.subscribe', () => reply.text('welcome'));
});
`;

const HANDLERS_JS = `import { defineHandlers, reply } from 'wxgate/handlers';

export default defineHandlers((bot) => {
  bot.on('text', (m) => 'js: ' + m.Content);
  bot.on('event.subscribe', () => reply.text('welcome'));
});
`;

describe('the package from npm pack, installed outside the checkout', () => {
  it('ships compiled JavaScript with declarations, no sources, and needs no tsx', () => {
    const pkgDir = join(dir, 'js-bot/node_modules/wxgate');
    expect(existsSync(join(pkgDir, 'dist/cli/main.js'))).toBe(true);
    expect(existsSync(join(pkgDir, 'dist/handlers/define-handlers.d.ts'))).toBe(true);
    // The message centre's migrations, read beside the compiled migrate.js: tsc copies no SQL.
    expect(readdirSync(join(pkgDir, 'dist/campaigns/migrations')).filter((f) => f.endsWith('.sql'))).toEqual(readdirSync(join(ROOT, 'src/campaigns/migrations')).filter((f) => f.endsWith('.sql')));
    expect(existsSync(join(pkgDir, 'src'))).toBe(false);
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).not.toContain('tsx');
    expect(readdirSync(join(dir, 'js-bot/node_modules'))).not.toContain('tsx');
  });

  it('plain JavaScript: imports wxgate/handlers and runs npx wxgate all against npx wxgate mock-wechat', async () => {
    const cwd = join(dir, 'js-bot');
    await writeFile(join(cwd, 'handlers.js'), HANDLERS_JS);
    expect(await pushThroughGateway(cwd, './handlers.js', 'wxpkgjs000000001', 'hello')).toEqual(['js: hello']);
  }, 120_000);

  it('TypeScript: type-checks against the installed declarations and runs through the project\'s tsx', async () => {
    const cwd = join(dir, 'ts-bot');
    await writeFile(join(cwd, 'handlers.ts'), HANDLERS_TS);
    await writeFile(join(cwd, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['handlers.ts'] }));
    const checked = run(TSC, ['-p', cwd], { cwd });
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    expect(await pushThroughGateway(cwd, './handlers.ts', 'wxpkgts000000001', 'hello')).toEqual(['ts: HELLO']);
  }, 120_000);

  it('a handlers module that does not load: one message naming the file and the real error, exit 78', async () => {
    const cwd = join(dir, 'ts-bot');
    const cases: [string, string, RegExp][] = [
      ['syntax.mjs', 'export default (bot) => {\n  bot.on("text", () => );\n};\n', /syntax\.mjs\) could not be loaded: SyntaxError: .*syntax\.mjs:2/],
      ['needs.mjs', "import 'wxgate-no-such-package';\nexport default () => {};\n", /needs\.mjs\) could not be loaded: .*Cannot find package 'wxgate-no-such-package'/],
      ['nothing.mjs', 'export const bot = 1;\n', /nothing\.mjs\) exports no handlers \(it exports bot\)/],
    ];
    // A module outside any project that has wxgate installed.
    await mkdir(join(dir, 'lonely'));
    await writeFile(join(dir, 'lonely/handlers.mjs'), HANDLERS_JS);
    cases.push(['../lonely/handlers.mjs', '', /handlers\.mjs\) could not be loaded: .*Cannot find package 'wxgate'.*: install wxgate in the handlers' project/]);
    for (const [file, content, message] of cases) {
      if (content) await writeFile(join(cwd, file), content);
      const r = await runToExit('npx', ['wxgate', 'worker'], { cwd, env: gatewayEnv('wxpkgerr00000001', 1, { WXGATE_HANDLERS: `./${file}` }) });
      expect(r.status, r.stderr).toBe(78);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toContain(resolve(cwd, file));
      expect(lines[0]).toMatch(message);
      expect(lines[0]).not.toMatch(/cycle/);
    }
  }, 120_000);

  it('npx wxgate init: the project passes its own npm test and answers a push after npm install and npm start', async () => {
    const made = run('npx', ['wxgate', 'init', '../bot', '--wxgate', tarball], { cwd: join(dir, 'js-bot') });
    expect(made.status, made.stderr).toBe(0);
    const cwd = join(dir, 'bot');
    const env = readFileSync(join(cwd, '.env.example'), 'utf8');
    for (const name of ['WECHAT_APPID', 'WECHAT_APPSECRET', 'WECHAT_TOKEN', 'WECHAT_ENCODING_AES_KEY', 'REDIS_URL', 'WXGATE_HANDLERS']) expect(env).toMatch(new RegExp(`^${name}=`, 'm'));
    expect(readFileSync(join(cwd, 'handlers.ts'), 'utf8')).toBe(readFileSync(join(ROOT, 'examples/handlers.ts'), 'utf8'));

    // The two commands.
    const installed = npmInstall(cwd);
    expect(installed.status, installed.stderr).toBe(0);
    const tested = run('npm', ['test'], { cwd });
    expect(tested.status, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/# pass 1/);
    const checked = run(TSC, ['-p', cwd], { cwd });
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);

    // .env as a user fills it in; here the environment points it at the mock (it wins over .env).
    const port = await freePort();
    const appid = 'wxpkginit0000001';
    const gateway = start('npm', ['start'], { cwd, env: gatewayEnv(appid, port) });
    started.push(gateway);
    await waitForOk(`http://127.0.0.1:${port}/readyz`, gateway);
    const openid = `o${appid}user`;
    const sim = run('npx', ['wxgate', 'simulate', '--url', `http://127.0.0.1:${port}/wechat`, '--appid', appid, '--token', TOKEN, '--openid', openid, '--content', 'hi'], { cwd });
    expect(sim.status, sim.stdout + sim.stderr).toBe(0);
    expect(await repliesTo(openid, 1)).toEqual(['你说：hi']);
    await gateway.stop();
  }, 240_000);
});
