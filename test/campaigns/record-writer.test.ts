// The record writer against a real PostgreSQL schema: batches, the forward-only status rule,
// and reports that arrive before their send's row says `sent`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/campaigns/database.js';
import { migrate } from '../../src/campaigns/migrate.js';
import { createRecordWriter } from '../../src/campaigns/record-writer.js';
import { createRecords, type Records } from '../../src/campaigns/records.js';
import { captureLogs } from '../helpers/log-capture.js';
import { createTestSchema, type TestSchema } from '../helpers/postgres.js';

let schema: TestSchema;
let db: Database;
let records: Records;
const logs = captureLogs();
const APPID = 'wxwriter0000001';

beforeAll(async () => {
  schema = await createTestSchema('writer');
  db = createDatabase({ logger: logs.logger }, { url: schema.url, schema: schema.schema });
  expect(await migrate({ db, logger: logs.logger }, { schema: schema.schema })).toEqual(['001_message_centre.sql', '002_list_incomplete.sql']);
  records = createRecords({ db });
});
afterAll(async () => {
  await db?.end();
  await schema?.drop();
});

const rowsOf = (ids: string[]) => schema.query<{ id: string; status: string; msgid: string | null; errcode: number | null; errmsg: string | null; attempts: number }>('SELECT id, status, msgid::text AS msgid, errcode, errmsg, attempts FROM sends WHERE id = ANY($1) ORDER BY id', [ids]);
const queue = async (ids: string[]) => records.insertQueued(ids.map((id) => ({ id, appid: APPID, openid: `o${id}`, templateId: 'T', data: {} })));

describe('migrations', () => {
  it('are applied once: a second run (another process starting) applies nothing', async () => {
    expect(await migrate({ db, logger: logs.logger }, { schema: schema.schema })).toEqual([]);
    expect(await schema.query('SELECT version, name FROM wxgate_migrations ORDER BY version')).toEqual([
      { version: 1, name: '001_message_centre.sql' },
      { version: 2, name: '002_list_incomplete.sql' },
    ]);
  });
});

describe('record writer', () => {
  it('writes 300 outcomes handed over at once in a few batches, each caller told once its row is committed', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `wb${i}`);
    await queue(ids);
    const before = logs.lines.filter((l) => l.msg === 'records written').length;
    const writer = createRecordWriter({ db, logger: logs.logger }, { maxBatch: 200, maxDelayMs: 20 });
    await Promise.all(ids.map((id, i) => writer.outcome({ id, status: 'sent', errcode: 0, msgid: String(5_000_000 + i), attempts: 1, sentAt: Date.now() })));
    const flushes = logs.lines.filter((l) => l.msg === 'records written').length - before;
    expect(flushes).toBeGreaterThanOrEqual(2);
    expect(flushes).toBeLessThanOrEqual(3);
    const rows = await rowsOf(ids);
    expect(rows.every((r) => r.status === 'sent' && r.msgid !== null)).toBe(true);
    await writer.close();
  });

  it('a record only moves forward: a late `cancelled` does not unsend, a late `sent` does not undo a delivery', async () => {
    const writer = createRecordWriter({ db, logger: logs.logger });
    await queue(['fw1', 'fw2', 'fw3']);
    await writer.outcome({ id: 'fw1', status: 'sent', errcode: 0, msgid: '7000001', attempts: 1 });
    await writer.outcome({ id: 'fw1', status: 'cancelled', attempts: 0 });
    // cancelled, then the send that was in flight when the campaign was cancelled: it went out.
    await writer.outcome({ id: 'fw2', status: 'cancelled', attempts: 0 });
    await writer.outcome({ id: 'fw2', status: 'sent', errcode: 0, msgid: '7000002', attempts: 1 });
    await writer.report({ appid: APPID, msgid: '7000002', wechatStatus: 'success', status: 'delivered', reportedAt: Date.now() });
    await writer.outcome({ id: 'fw2', status: 'sent', errcode: 0, msgid: '7000002', attempts: 2 });
    await writer.outcome({ id: 'fw3', status: 'failed', errcode: 43004, errmsg: 'require subscribe', attempts: 1 });
    expect(await rowsOf(['fw1', 'fw2', 'fw3'])).toEqual([
      { id: 'fw1', status: 'sent', msgid: '7000001', errcode: 0, errmsg: null, attempts: 1 },
      { id: 'fw2', status: 'delivered', msgid: '7000002', errcode: 0, errmsg: null, attempts: 1 },
      { id: 'fw3', status: 'failed', msgid: null, errcode: 43004, errmsg: 'require subscribe', attempts: 1 },
    ]);
    await writer.close();
  });

  it('a report that arrives before its send is recorded waits, and is matched by (appid, msgid) when the send lands', async () => {
    const writer = createRecordWriter({ db, logger: logs.logger });
    await queue(['early1', 'early2']);
    await writer.report({ appid: APPID, msgid: '8000001', openid: 'oearly1', wechatStatus: 'failed:user block', status: 'blocked', reportedAt: Date.now() });
    await writer.report({ appid: 'wxotheraccount', msgid: '8000002', wechatStatus: 'success', status: 'delivered', reportedAt: Date.now() });
    expect(await schema.query('SELECT msgid::text FROM template_reports ORDER BY msgid')).toEqual([{ msgid: '8000001' }, { msgid: '8000002' }]);
    await writer.outcome({ id: 'early1', status: 'sent', errcode: 0, msgid: '8000001', attempts: 1 });
    // The same msgid under another appid is another account's send: not matched.
    await writer.outcome({ id: 'early2', status: 'sent', errcode: 0, msgid: '8000002', attempts: 1 });
    expect(await rowsOf(['early1', 'early2'])).toMatchObject([
      { id: 'early1', status: 'blocked', errmsg: 'failed:user block' },
      { id: 'early2', status: 'sent' },
    ]);
    expect(await schema.query('SELECT appid FROM template_reports')).toEqual([{ appid: 'wxotheraccount' }]);
    await writer.close();
  });

  it('the same report twice (WeChat retried the push) changes nothing the second time', async () => {
    const writer = createRecordWriter({ db, logger: logs.logger });
    await queue(['twice']);
    await writer.outcome({ id: 'twice', status: 'sent', errcode: 0, msgid: '9000001', attempts: 1 });
    const report = { appid: APPID, msgid: '9000001', wechatStatus: 'success', status: 'delivered' as const, reportedAt: Date.now() };
    await writer.report(report);
    await writer.report(report);
    expect(await rowsOf(['twice'])).toMatchObject([{ status: 'delivered' }]);
    expect(await schema.query(`SELECT * FROM template_reports WHERE msgid = 9000001`)).toEqual([]);
    await writer.close();
  });

  it('a batch that cannot be written is retried, then its callers see the error (and the job runs again)', async () => {
    const broken = createDatabase({ logger: logs.logger }, { url: 'postgres://postgres@127.0.0.1:1/none', schema: schema.schema });
    const writer = createRecordWriter({ db: broken, logger: logs.logger }, { tries: 2, retryDelayMs: 10 });
    await expect(writer.outcome({ id: 'nowhere', status: 'sent', attempts: 1 })).rejects.toThrow();
    expect(logs.lines.filter((l) => l.msg === 'record batch not written: retrying').length).toBeGreaterThanOrEqual(2);
    await broken.end();
  });

  it('one row PostgreSQL refuses fails only its own caller: the batch is written again row by row', async () => {
    await queue(['rr1', 'rr2', 'rr3']);
    const writer = createRecordWriter({ db, logger: logs.logger }, { maxDelayMs: 50 });
    // rr2 claims rr1's msgid: the unique index (appid, msgid) refuses the batch as a whole.
    const settled = await Promise.allSettled([
      writer.outcome({ id: 'rr1', status: 'sent', errcode: 0, msgid: '9300001', attempts: 1 }),
      writer.outcome({ id: 'rr2', status: 'sent', errcode: 0, msgid: '9300001', attempts: 1 }),
      writer.outcome({ id: 'rr3', status: 'failed', errcode: 43004, errmsg: 'require subscribe', attempts: 1 }),
    ]);
    expect(settled.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ code: '23505' });
    expect(await rowsOf(['rr1', 'rr2', 'rr3'])).toMatchObject([
      { id: 'rr1', status: 'sent', msgid: '9300001' },
      { id: 'rr2', status: 'queued', msgid: null },
      { id: 'rr3', status: 'failed', errcode: 43004 },
    ]);
    expect(logs.lines.find((l) => l.msg === 'record not written')).toMatchObject({ id: 'rr2', code: '23505' });
    // Refused for what it holds, it is not retried as a lost connection would be.
    expect(logs.lines.some((l) => l.msg === 'record batch not written: retrying' && l.rows === 3)).toBe(false);
    await writer.close();
  });

  it('insertQueued names new rows and rows still queued, never finished ones (a list read again queues only what is left)', async () => {
    expect(await queue(['iq1', 'iq2'])).toEqual(['iq1', 'iq2']);
    const writer = createRecordWriter({ db, logger: logs.logger });
    await writer.outcome({ id: 'iq1', status: 'sent', errcode: 0, msgid: '9100001', attempts: 1 });
    await writer.close();
    expect((await queue(['iq1', 'iq2', 'iq3'])).sort()).toEqual(['iq2', 'iq3']);
  });
});
