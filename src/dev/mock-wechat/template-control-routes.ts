// The mock's control API for template messages, under /__mock/templates: configure the
// checks and the delivery reports, read what happened, reset the daily quota.
import type { IncomingMessage } from 'node:http';
import Router from '@koa/router';
import { z } from 'zod';
import { templateConfigSchema, type MockTemplates } from './templates.js';

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  try {
    return text === '' ? {} : JSON.parse(text);
  } catch {
    throw Object.assign(new Error('body is not JSON'), { status: 400, expose: true });
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw Object.assign(new Error(`bad request: ${r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`), { status: 400, expose: true });
  return r.data;
}

export function createTemplateControlRoutes({ templates }: { templates: MockTemplates }): Router {
  const router = new Router({ prefix: '/__mock/templates' });
  router.get('/', (ctx) => {
    ctx.body = { settings: templates.settings(), stats: templates.stats() };
  });
  router.post('/', async (ctx) => {
    templates.configure(parse(templateConfigSchema, await readJson(ctx.req)));
    ctx.body = { ok: true, settings: templates.settings() };
  });
  router.post('/reset-quota', async (ctx) => {
    const { appid } = parse(z.object({ appid: z.string().min(1).optional() }).strict(), await readJson(ctx.req));
    templates.resetQuota(appid);
    ctx.body = { ok: true };
  });
  /** Answers once every scheduled delivery report has been pushed (bench, tests). */
  router.get('/drained', async (ctx) => {
    await templates.drained();
    ctx.body = { ok: true, stats: templates.stats() };
  });
  return router;
}
