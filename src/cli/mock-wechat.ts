// `wxgate mock-wechat`: the fake WeChat API as its own process (demos, benchmarks, manual tests).
// Point WECHAT_API_BASE at the URL it logs.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { createMockWeChat } from '../dev/mock-wechat/index.js';
import { createLogger } from '../logger.js';
import { runUntilSignal } from './run-until-signal.js';

const USAGE = `usage: wxgate mock-wechat [--port 4000] [--host 127.0.0.1] [--token-ttl 7200] [--grace 300] [--secrets appid=secret,…]

A fake WeChat API: /cgi-bin/token, /cgi-bin/stable_token, message/custom/send, message/custom/typing,
message/template/send, getcallbackip; control API under /__mock (sent, stats, faults, expire, reset, config,
templates: template ids, followers, daily quota and TEMPLATESENDJOBFINISH reports to your server URL).
Without --secrets every appid/secret is accepted.
`;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`--${name}=${JSON.stringify(raw)} is not valid: give a number ≥ 0 (default ${fallback}).`);
  return n;
}

function secrets(raw: string | undefined): Record<string, string> | 'any' {
  if (raw === undefined || raw === 'any') return 'any';
  const out: Record<string, string> = {};
  for (const pair of raw.split(',').filter(Boolean)) {
    const i = pair.indexOf('=');
    if (i <= 0 || i === pair.length - 1) throw new ConfigError(`--secrets: "${pair}" is not appid=secret: give a comma-separated list like wx123=abc,wx456=def.`);
    out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'token-ttl': { type: 'string' },
        grace: { type: 'string' },
        secrets: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`wxgate mock-wechat: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = loadConfig(process.env, { requireApps: false });
  const logger = createLogger({ level: config.logLevel, destination: config.logFile });
  const port = positive('port', values.port, 4000);
  if (!Number.isInteger(port) || port > 65535) throw new ConfigError(`--port=${values.port} is not a port: give 0–65535.`);
  const mock = createMockWeChat(
    { logger },
    { appsecrets: secrets(values.secrets), tokenTtlS: positive('token-ttl', values['token-ttl'], 7200) || 7200, graceS: positive('grace', values.grace, 300), port },
  );
  const server = await mock.listen(port, values.host ?? '127.0.0.1');
  // Signal handlers first, then the line that tells the world (and tests) we are up.
  const stopped = runUntilSignal(logger, () => server.close(), { timeoutMs: config.shutdownTimeoutMs });
  logger.info({ layer: 'mock', url: server.url }, `mock WeChat API at ${server.url} (set WECHAT_API_BASE=${server.url})`);
  const code = await stopped;
  // An injected latency fault (POST /__mock/faults {latencyMs}) holds a timer per call in flight:
  // once the server is closed nothing else is worth waiting for, so SIGTERM means exit now.
  setTimeout(() => process.exit(code), 0).unref();
  return code;
}
