// `node bin/wxgate.js <command>` as a child process, exactly what an operator runs: its stdout
// lines parsed (and scanned for secrets), its stderr kept, its exit awaited. For the lifecycle
// tests (shutdown, start failures, log output).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { buildPush, textMessage } from '../../src/dev/pushes.js';
import { TEST_APP } from './receiver.js';
import { checkLine } from './secrets.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WxgateChild {
  readonly proc: ChildProcess;
  readonly lines: Record<string, unknown>[];
  /** Every raw stdout line, JSON or not. */
  readonly raw: string[];
  stderr(): string;
  readonly exited: Promise<Exit>;
  /** The first line matching `pred`, waited for up to `timeoutMs` (a bound that only detects "never"). */
  line(pred: (l: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit, or rejects if there is none within `timeoutMs`. */
  exit(timeoutMs: number): Promise<Exit>;
  kill(): Promise<void>;
}

/** This process's environment without wxgate's own variables: the child gets only those given. */
function inherited(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECHAT_|WXGATE_)/.test(k) && !['PORT', 'HOST', 'LOG_LEVEL', 'REDIS_URL'].includes(k)));
}

export function startWxgateChild(args: string[], env: Record<string, string>, { node = ['bin/wxgate.js'] }: { node?: string[] } = {}): WxgateChild {
  const proc = spawn(process.execPath, [...node, ...args], { env: { ...inherited(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    raw.push(l);
    checkLine(l);
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      lines.push({ raw: l });
    }
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Exit>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const child: WxgateChild = {
    proc,
    lines,
    raw,
    stderr: () => stderr,
    exited,
    async line(pred, what, timeoutMs = 25_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find(pred);
        if (found) return found;
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`wxgate exited before ${what}:\n${raw.slice(-10).join('\n')}\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${raw.slice(-10).join('\n')}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    exit(timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`wxgate ${args[0]} did not exit within ${timeoutMs} ms:\n${raw.slice(-10).join('\n')}\n${stderr}`)), timeoutMs);
        void exited.then((e) => {
          clearTimeout(timer);
          resolve(e);
        });
      });
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
  return child;
}

let pushSeq = 0;

/** A signed plaintext push for TEST_APP: the path and body to POST. */
export function testPush(openid = 'oLifecycle'): { path: string; body: string } {
  pushSeq += 1;
  const msgId = `${Date.now()}${String(process.pid % 1000).padStart(3, '0')}${String(pushSeq).padStart(4, '0')}`;
  return buildPush(TEST_APP, textMessage({ openid, content: `hello ${pushSeq}`, msgId }), { mode: 'aes' });
}

/** The environment of a child on its own prefix and spool, for TEST_APP. */
export function childEnv(prefix: string, spoolDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    WXGATE_PREFIX: prefix,
    WXGATE_SPOOL_DIR: spoolDir,
    WECHAT_APPID: TEST_APP.appid,
    WECHAT_TOKEN: TEST_APP.token,
    WECHAT_ENCODING_AES_KEY: TEST_APP.encodingAESKey,
    HOST: '127.0.0.1',
    PORT: '0',
    ...extra,
  };
}
