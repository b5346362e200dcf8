// `wxgate probe`: one signed synthetic push, for cron and monitoring. Prints `ok <ms> ms` and
// exits 0, or `fail <reason>` and exits 1 (2: bad usage). Defaults come from wxgate's own config.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { probe } from '../dev/simulator/probe.js';
import { positiveInt, resolveTarget, TARGET_OPTIONS, UsageError, type Target } from '../dev/simulator/resolve-target.js';

const USAGE = `usage: wxgate probe [--url http://127.0.0.1:3000/wechat] [--appid wx…] [--token …] [--aes-key …]
                    [--mode plain|compat|aes] [--timeout-ms 5000]

Sends one signed text push from the synthetic openid owxgate-probe (a fresh MsgId each time) and
waits for \`success\`, as WeChat would. Prints "ok <ms> ms" (exit 0) or "fail <reason>" (exit 1).
A passive reply in the answer is printed after "ok", once read as WeChat reads it: in safe mode
its signature checked and decrypted; one WeChat would refuse is a failure.
Without flags: the account and port from WECHAT_* / WXGATE_APPS_FILE / PORT, and pushes in the
mode the account accepts (WECHAT_MESSAGE_MODE): plaintext for plain, encrypted (aes) for safe and
compat. --mode overrides it: plain, compat (compatibility mode's envelope) or aes.
`;

const OPTIONS = TARGET_OPTIONS;

/** Also `wxgate simulate --probe`. */
export async function printProbe(target: Target, timeoutMs = 5000): Promise<number> {
  const result = await probe({ ...target, timeoutMs, connectTimeoutMs: Math.min(3000, timeoutMs) });
  process.stdout.write(result.ok ? `ok ${result.ms} ms${result.reply ? `, passive reply ${result.reply}` : ''}\n` : `fail ${result.reason}\n`);
  return result.ok ? 0 : 1;
}

export async function run(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  try {
    const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const target = resolveTarget(values, loadConfig(env, { requireApps: false }));
    return await printProbe(target, positiveInt('timeout-ms', values['timeout-ms'], 5000));
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`wxgate probe: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}
