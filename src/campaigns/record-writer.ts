// Batched record writes: the sender hands each outcome (and each delivery report) to the
// writer and awaits it; the writer turns everything handed to it within `maxDelayMs` (or
// `maxBatch` rows) into one UPDATE … FROM unnest(…) — one round trip for a batch instead of
// one per send — so records do not slow the sends. The await matters: a job completes only once
// its record is committed, so a worker killed mid-send leaves a job that runs again (and
// WeChat's client_msg_id makes that second call a no-op), never a send without a record. A
// batch PostgreSQL refuses for what one row holds is written again row by row, so only that
// row's caller sees the error.
import type { Logger } from '../logger.js';
import type { Database } from './database.js';
import { sendRank, type SendStatus } from './send-status.js';

export interface SendOutcome {
  id: string;
  status: SendStatus;
  errcode?: number;
  errmsg?: string;
  msgid?: string;
  attempts: number;
  /** Epoch ms of the accepted call (status sent). */
  sentAt?: number;
}

export interface DeliveryReport {
  appid: string;
  msgid: string;
  openid?: string;
  /** WeChat's Status text, as pushed. */
  wechatStatus: string;
  status: 'delivered' | 'blocked' | 'failed';
  /** Epoch ms (the push's CreateTime). */
  reportedAt: number;
}

export interface RecordWriter {
  outcome(row: SendOutcome): Promise<void>;
  report(report: DeliveryReport): Promise<void>;
  /** Writes what is pending now. */
  flush(): Promise<void>;
  /** Flushes and stops taking rows. */
  close(): Promise<void>;
}

export interface RecordWriterOptions {
  maxBatch?: number;
  maxDelayMs?: number;
  /** Tries per batch before its callers see the error. */
  tries?: number;
  retryDelayMs?: number;
  /** Reports whose send never shows up (sent by something other than wxgate) are dropped after this. */
  keepUnmatchedReportsS?: number;
}

interface Pending<T> {
  row: T;
  resolve(): void;
  reject(err: Error): void;
}

const UPDATE_SENDS = `
UPDATE sends s SET status = u.status, errcode = u.errcode, errmsg = u.errmsg, msgid = COALESCE(u.msgid, s.msgid),
  attempts = GREATEST(s.attempts, u.attempts), sent_at = COALESCE(u.sent_at, s.sent_at), updated_at = now()
FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::int[], $7::timestamptz[])
  AS u(id, status, errcode, errmsg, msgid, attempts, sent_at)
WHERE s.id = u.id AND wxgate_send_rank(u.status) > wxgate_send_rank(s.status)`;

// A report whose send is on record updates it at once; only the others wait in template_reports.
const APPLY_REPORTS = `
WITH u AS (
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
    AS u(appid, msgid, openid, status, wechat_status, reported_at)),
m AS (SELECT s.id, u.* FROM u JOIN sends s ON s.appid = u.appid AND s.msgid = u.msgid),
upd AS (
  UPDATE sends s SET status = m.status, errmsg = CASE WHEN m.status = 'delivered' THEN s.errmsg ELSE m.wechat_status END,
    reported_at = m.reported_at, updated_at = now()
  FROM m WHERE s.id = m.id AND wxgate_send_rank(m.status) > wxgate_send_rank(s.status))
INSERT INTO template_reports (appid, msgid, openid, status, wechat_status, reported_at)
SELECT u.* FROM u WHERE NOT EXISTS (SELECT 1 FROM m WHERE m.appid = u.appid AND m.msgid = u.msgid)
ON CONFLICT (appid, msgid) DO NOTHING`;

// A report and its send meet here when the report came first.
const MATCH_REPORTS = `
WITH matched AS (
  DELETE FROM template_reports r USING sends s
  WHERE s.appid = r.appid AND s.msgid = r.msgid
  RETURNING s.id, r.status, r.wechat_status, r.reported_at)
UPDATE sends s SET status = m.status, errmsg = CASE WHEN m.status = 'delivered' THEN s.errmsg ELSE m.wechat_status END,
  reported_at = m.reported_at, updated_at = now()
FROM matched m WHERE s.id = m.id AND wxgate_send_rank(m.status) > wxgate_send_rank(s.status)`;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const at = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** PostgreSQL refused what a row holds (SQLSTATE class 22, data exception; 23, a constraint), not the connection or the server. */
function refusedRow(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

/** One row per id, the furthest along (two outcomes of one send in a batch: a rerun after a stall). */
function latestPerId(rows: SendOutcome[]): SendOutcome[] {
  const byId = new Map<string, SendOutcome>();
  for (const r of rows) {
    const seen = byId.get(r.id);
    if (!seen || sendRank(r.status) > sendRank(seen.status)) byId.set(r.id, r);
  }
  return [...byId.values()];
}

export function createRecordWriter(
  { db, logger }: { db: Database; logger: Logger },
  { maxBatch = 500, maxDelayMs = 20, tries = 5, retryDelayMs = 200, keepUnmatchedReportsS = 3 * 86400 }: RecordWriterOptions = {},
): RecordWriter {
  const log = logger.child({ layer: 'records' });
  let outcomes: Pending<SendOutcome>[] = [];
  let reports: Pending<DeliveryReport>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;
  let flushes = 0;

  async function write(sends: SendOutcome[], reps: DeliveryReport[]): Promise<void> {
    const client = await db.connect();
    try {
      // One transaction per batch: one WAL flush for all of it, not one per statement.
      await client.query('BEGIN');
      if (sends.length > 0) {
        const rows = latestPerId(sends);
        await client.query(UPDATE_SENDS, [
          rows.map((r) => r.id),
          rows.map((r) => r.status),
          rows.map((r) => r.errcode ?? null),
          rows.map((r) => r.errmsg ?? null),
          rows.map((r) => r.msgid ?? null),
          rows.map((r) => r.attempts),
          rows.map((r) => at(r.sentAt)),
        ]);
      }
      if (reps.length > 0) {
        await client.query(APPLY_REPORTS, [
          reps.map((r) => r.appid),
          reps.map((r) => r.msgid),
          reps.map((r) => r.openid ?? null),
          reps.map((r) => r.status),
          reps.map((r) => r.wechatStatus),
          reps.map((r) => at(r.reportedAt)),
        ]);
      }
      if (sends.some((s) => s.msgid !== undefined)) await client.query(MATCH_REPORTS);
      if (++flushes % 1000 === 0) await client.query(`DELETE FROM template_reports WHERE reported_at < now() - make_interval(secs => $1)`, [keepUnmatchedReportsS]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** `write` with its retries: undefined once written. A row PostgreSQL refuses is not retried (it would be refused again). */
  async function attempt(sends: SendOutcome[], reps: DeliveryReport[]): Promise<Error | undefined> {
    let error: Error | undefined;
    for (let i = 1; i <= tries; i++) {
      try {
        await write(sends, reps);
        return undefined;
      } catch (err) {
        error = err as Error;
        if (refusedRow(error)) return error;
        log.warn({ try: i, tries, rows: sends.length + reps.length, err: error.message }, 'record batch not written: retrying');
        if (i < tries) await sleep(retryDelayMs * i);
      }
    }
    return error;
  }

  function settle(p: Pending<unknown>, error: Error | undefined, row: Record<string, unknown>): void {
    if (!error) return p.resolve();
    log.error({ ...row, err: error.message, code: (error as { code?: string }).code }, 'record not written');
    p.reject(error);
  }

  async function run(): Promise<void> {
    while (outcomes.length > 0 || reports.length > 0) {
      const sends = outcomes.splice(0, maxBatch);
      const reps = reports.splice(0, maxBatch);
      const all = [...sends, ...reps] as Pending<unknown>[];
      const started = performance.now();
      const error = await attempt(sends.map((p) => p.row), reps.map((p) => p.row));
      if (!error) {
        log.debug({ sends: sends.length, reports: reps.length, ms: Math.round((performance.now() - started) * 10) / 10 }, 'records written');
        for (const p of all) p.resolve();
      } else if (refusedRow(error)) {
        // One row PostgreSQL refuses must not fail the others of its batch (their jobs would run
        // again and again): each is written on its own, and only the refused one's caller sees it.
        log.warn({ rows: all.length, err: error.message, code: (error as { code?: string }).code }, 'record batch refused: writing its rows one by one');
        for (const p of sends) settle(p, await attempt([p.row], []), { id: p.row.id, status: p.row.status });
        for (const p of reps) settle(p, await attempt([], [p.row]), { appid: p.row.appid, msgid: p.row.msgid });
      } else {
        log.error({ rows: all.length, err: error.message }, 'record batch not written');
        for (const p of all) p.reject(error);
      }
    }
  }

  function schedule(): void {
    if (running) return; // the running flush takes what came meanwhile
    if (outcomes.length >= maxBatch || reports.length >= maxBatch) {
      start();
      return;
    }
    timer ??= setTimeout(start, maxDelayMs);
  }

  function start(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (running) return;
    running = run().finally(() => {
      running = undefined;
      if (outcomes.length > 0 || reports.length > 0) schedule();
    });
  }

  function enqueue<T>(list: Pending<T>[], row: T): Promise<void> {
    if (closed) return Promise.reject(new Error('record writer closed'));
    return new Promise<void>((resolve, reject) => {
      list.push({ row, resolve, reject });
      schedule();
    });
  }

  async function flush(): Promise<void> {
    start();
    while (running) await running;
  }

  return {
    outcome: (row) => enqueue(outcomes, row),
    report: (report) => enqueue(reports, report),
    flush,
    async close() {
      await flush();
      closed = true;
    },
  };
}
