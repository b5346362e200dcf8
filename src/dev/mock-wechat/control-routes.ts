// The mock's own API under /__mock: what it saw, injected faults, forced expiry, reset, settings.
// Tests in the same process may use `state` directly; other processes (bench, demo) use these.
import type { IncomingMessage } from 'node:http';
import Router from '@koa/router';
import { z } from 'zod';
import { FAULT_PATHS, faultSchema, type MockFaults } from './faults.js';
import type { MockRecords } from './records.js';
import type { MockTokens, MockTokenSettings } from './tokens.js';

export interface ControlRoutesDeps {
  tokens: MockTokens;
  faults: MockFaults;
  records: MockRecords;
  settings: MockTokenSettings;
  reset(): void;
}

const configSchema = z
  .object({
    tokenTtlS: z.number().positive().optional(),
    graceS: z.number().min(0).optional(),
    renewWindowS: z.number().min(0).optional(),
    forcedPerDay: z.number().int().min(0).optional(),
    forcedIntervalS: z.number().min(0).optional(),
  })
  .strict();

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw Object.assign(new Error('body too large'), { status: 413, expose: true });
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw Object.assign(new Error('body is not JSON'), { status: 400, expose: true });
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw Object.assign(new Error(`bad request: ${r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`), { status: 400, expose: true });
  return r.data;
}

export function createControlRoutes({ tokens, faults, records, settings, reset }: ControlRoutesDeps): Router {
  const router = new Router({ prefix: '/__mock' });
  const q = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

  router.get('/sent', (ctx) => {
    const path = q(ctx.query.path);
    const limit = q(ctx.query.limit);
    ctx.body = records.sent({
      path: path === undefined ? undefined : (FAULT_PATHS[path] ?? path),
      appid: q(ctx.query.appid),
      touser: q(ctx.query.touser),
      limit: limit === undefined ? undefined : Math.max(0, Number(limit) || 0),
    });
  });

  router.get('/stats', (ctx) => {
    ctx.body = records.stats();
  });

  router.get('/faults', (ctx) => {
    ctx.body = faults.list();
  });

  router.post('/faults', async (ctx) => {
    const list = parse(z.union([faultSchema, z.array(faultSchema)]), await readJson(ctx.req));
    faults.add(list);
    ctx.body = { ok: true, faults: faults.list() };
  });

  router.delete('/faults', (ctx) => {
    faults.clear();
    ctx.body = { ok: true };
  });

  router.post('/expire', async (ctx) => {
    const { appid } = parse(z.object({ appid: z.string().min(1).optional() }).strict(), await readJson(ctx.req));
    ctx.body = { ok: true, expired: tokens.expire(appid) };
  });

  router.post('/reset', (ctx) => {
    reset();
    ctx.body = { ok: true };
  });

  router.get('/config', (ctx) => {
    ctx.body = { ...settings };
  });

  router.post('/config', async (ctx) => {
    Object.assign(settings, parse(configSchema, await readJson(ctx.req)));
    ctx.body = { ...settings };
  });

  return router;
}
