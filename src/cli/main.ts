// `wxgate <command>`: one binary, commands loaded on demand so `wxgate trace` does not
// pay for Koa and BullMQ. Each command module exports `run(argv): Promise<number>`.
import { ConfigError } from '../errors.js';

type Command = { summary: string; load: () => Promise<{ run: (argv: string[]) => Promise<number> }> };

const COMMANDS: Record<string, Command> = {
  serve: { summary: 'run the receiver (HTTP callback endpoint)', load: () => import('./serve.js') },
  worker: { summary: 'run the workers (handlers and outbound sends)', load: () => import('./worker.js') },
  all: { summary: 'receiver and workers in one process (npm start)', load: () => import('./all.js') },
  'mock-wechat': { summary: 'a fake WeChat API for tests, benchmarks and demos', load: () => import('./mock-wechat.js') },
  simulate: { summary: 'push signed messages to a URL as WeChat does', load: () => import('./simulate.js') },
  probe: { summary: 'one signed synthetic push: "ok <ms> ms" or "fail <reason>" (cron, monitoring)', load: () => import('./probe.js') },
  trace: { summary: 'one message\'s timeline across layers from the logs', load: () => import('./trace.js') },
  alert: { summary: 'explain a pasted WeChat alert from the logs', load: () => import('./alert.js') },
  token: { summary: 'show or refresh an account\'s access_token', load: () => import('./token.js') },
  dlq: { summary: 'list and retry failed jobs', load: () => import('./dlq.js') },
  init: { summary: 'a new handlers project (package.json, handlers.ts, a test, .env.example)', load: () => import('./init.js') },
  campaign: { summary: 'send template-message campaigns and follow them (send, status, failures)', load: () => import('./campaign.js') },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `usage: wxgate <command> [options]\n\ncommands:\n${rows.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`wxgate: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`wxgate ${name}: configuration error: ${err.message}\n`);
      return 78; // EX_CONFIG
    }
    throw err;
  }
}
