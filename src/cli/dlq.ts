// `wxgate dlq list|show|retry [--queue inbound|outbound|template]`: the failed jobs, why they failed
// (code, errcode, errmsg), and running them again.
import { loadConfig } from '../config.js';
import { createRedis } from '../redis.js';
import { keysOf } from '../redis-keys.js';
import { createDlq, QUEUE_NAMES, type FailedJob, type QueueName } from '../worker/dlq.js';

const USAGE = `usage: wxgate dlq <command> [options]

  list  [--queue inbound|outbound|template] [--limit N] [--json]   failed jobs, newest first, with their error
  show  <jobId> [--queue inbound|outbound|template]                one failed job in full (JSON)
  retry <jobId>... | --all [--queue inbound|outbound|template]     move failed jobs back to waiting

Without --queue, every queue. Inbound jobs ran a handler; outbound jobs are replies to send;
template jobs are template messages (their outcome is also on record in PostgreSQL).
`;

interface Args {
  command?: string;
  queues: QueueName[];
  limit: number;
  json: boolean;
  all: boolean;
  ids: string[];
}

function parse(argv: string[]): Args | string {
  const args: Args = { queues: [...QUEUE_NAMES], limit: 50, json: false, all: false, ids: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i]!;
    if (a === '--queue' || a === '-q') {
      const v = argv[++i];
      const queue = QUEUE_NAMES.find((q) => q === v);
      if (!queue) return `--queue must be one of ${QUEUE_NAMES.join(', ')}, not ${JSON.stringify(v)}`;
      args.queues = [queue];
    } else if (a === '--limit') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) return '--limit must be a whole number of at least 1';
      args.limit = n;
    } else if (a === '--json') args.json = true;
    else if (a === '--all') args.all = true;
    else if (a.startsWith('-')) return `unknown option ${a}`;
    else if (args.command === undefined) args.command = a;
    else args.ids.push(a);
  }
  return args;
}

function line(j: FailedJob): string {
  const when = j.failedAt ? new Date(j.failedAt).toISOString() : '-';
  const why = [j.code ?? '', j.errcode !== undefined ? `errcode ${j.errcode}` : '', j.errmsg ? `(${j.errmsg})` : ''].filter(Boolean).join(' ') || j.reason;
  return [j.queue.padEnd(8), j.id, when, `attempts=${j.attempts}`, `appid=${j.appid ?? '-'}`, `openid=${j.openid ?? '-'}`, why].join('  ');
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const args = parse(argv);
  if (typeof args === 'string') {
    process.stderr.write(`wxgate dlq: ${args}\n\n${USAGE}`);
    return 2;
  }
  if (args.command === undefined || args.command === 'help') {
    process.stdout.write(USAGE);
    return args.command === undefined ? 2 : 0;
  }
  const config = loadConfig(process.env, { requireApps: false });
  const redis = createRedis(config, 'worker', { maxRetriesPerRequest: 2, retryStrategy: () => null });
  const dlq = createDlq({ redis }, { keys: keysOf(config), apps: config.apps });
  const out = (s: string) => process.stdout.write(`${s}\n`);
  try {
    switch (args.command) {
      case 'list': {
        let total = 0;
        for (const queue of args.queues) {
          const jobs = await dlq.list(queue, { limit: args.limit });
          total += jobs.length;
          for (const j of jobs) out(args.json ? JSON.stringify(j) : line(j));
        }
        if (!args.json) out(`${total} failed job(s)`);
        return 0;
      }
      case 'show': {
        if (args.ids.length !== 1) {
          process.stderr.write('wxgate dlq show: give one job id\n');
          return 2;
        }
        for (const queue of args.queues) {
          const job = await dlq.show(queue, args.ids[0]!);
          if (job) {
            out(JSON.stringify(job, null, 2));
            return 0;
          }
        }
        process.stderr.write(`wxgate dlq show: no failed job ${args.ids[0]} in ${args.queues.join(' or ')}\n`);
        return 1;
      }
      case 'retry': {
        if (!args.all && args.ids.length === 0) {
          process.stderr.write('wxgate dlq retry: give job ids or --all\n');
          return 2;
        }
        let moved = 0;
        for (const queue of args.queues) {
          const ids = await dlq.retry(queue, args.all ? 'all' : args.ids);
          moved += ids.length;
          for (const id of ids) out(`${queue}  ${id}  retried`);
        }
        out(`${moved} job(s) moved back to waiting`);
        return moved > 0 || args.all ? 0 : 1;
      }
      default:
        process.stderr.write(`wxgate dlq: unknown command "${args.command}"\n\n${USAGE}`);
        return 2;
    }
  } finally {
    await dlq.close();
    redis.disconnect();
  }
}
