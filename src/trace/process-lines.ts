// wxgate's own lines about its processes and its Redis, by the message or code they carry: one
// list, so that a new line (a data-loss detector's code, a persistence warning) is one row here.
// Today's messages come from src/cli/run-until-signal.ts ("stopping"), src/receiver/create-receiver.ts
// ("receiver listening", "Redis not reachable at start…"), src/worker/create-workers.ts,
// (its job_stalled_too_often code), src/queue/spool-drainer.ts and src/redis-health/create-redis-health.ts (its stable codes).

export const PROCESS_KINDS = ['start', 'stop', 'redis_down', 'redis_up', 'redis_data_lost', 'redis_unsafe', 'redis_restarted', 'job_given_up'] as const;
export type ProcessKind = (typeof PROCESS_KINDS)[number];

interface KnownLine {
  kind: ProcessKind;
  /** The pino `msg`, exactly or (ending in …) as a prefix. */
  msg?: string;
  /** Or the line's `code` field. */
  code?: string;
  /** What the report calls it. */
  says: string;
}

export const KNOWN_PROCESS_LINES: readonly KnownLine[] = [
  { kind: 'start', msg: 'receiver listening', says: 'receiver listening' },
  { kind: 'start', msg: 'workers running', says: 'workers running' },
  { kind: 'stop', msg: 'stopping', says: 'stopping (signal)' },
  { kind: 'stop', msg: 'workers closed', says: 'workers closed' },
  { kind: 'stop', msg: 'error while stopping', says: 'error while stopping' },
  { kind: 'redis_down', msg: 'Redis not reachable at start…', says: 'Redis not reachable at start: pushes spooled' },
  { kind: 'redis_down', msg: 'worker error', says: 'worker lost Redis' },
  { kind: 'redis_down', msg: 'outbound queue error', says: 'outbound queue lost Redis' },
  { kind: 'redis_up', msg: 'spool drained', says: 'spool drained into Redis' },
  { kind: 'redis_data_lost', code: 'redis_data_lost', says: 'Redis lost its data (queued pushes, unsent replies, dedup records may be gone)' },
  { kind: 'redis_unsafe', code: 'redis_setting_unsafe', says: 'unsafe Redis setting (persistence or eviction)' },
  { kind: 'redis_unsafe', code: 'redis_setting_unknown', says: 'Redis settings unreadable' },
  { kind: 'job_given_up', code: 'job_stalled_too_often', says: 'a job failed after its worker died while running it too often (in wxgate dlq)' },
  { kind: 'redis_restarted', msg: 'Redis restarted (or failed over) and kept its data…', says: 'Redis restarted and kept its data' },
];

/** The known line a wxgate log line is, if any. */
export function knownProcessLine(msg: string | undefined, code: string | undefined): KnownLine | undefined {
  return KNOWN_PROCESS_LINES.find((k) =>
    (k.code !== undefined && k.code === code) ||
    (k.msg !== undefined && msg !== undefined && (k.msg.endsWith('…') ? msg.startsWith(k.msg.slice(0, -1)) : msg === k.msg)),
  );
}

/** Substrings that find these lines without parsing them (the scan's wide-window test). */
export const PROCESS_LINE_NEEDLES: readonly string[] = KNOWN_PROCESS_LINES.map((k) =>
  k.code !== undefined ? `"code":"${k.code}"` : `"msg":"${k.msg!.replace(/…$/, '')}`,
);
