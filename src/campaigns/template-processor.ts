// One template job = at most one call to template/send. Before the call, the admission script
// (template-admission.ts) says whether the campaign still runs, whether the account's quota is
// paused and when the account's rate allows the call; after it, decideTemplateOutcome
// (template-outcome.ts) says what the answer means. Every final outcome is written to the
// records (awaited: see record-writer.ts) and logged as one `send` line with the campaign id,
// openid, errcode and ms, so `wxgate trace --openid` shows a user's notifications.
import { performance } from 'node:perf_hooks';
import { DelayedError, type Job } from 'bullmq';
import type { Logger } from '../logger.js';
import type { WeChatClient } from '../wechat-api/client.js';
import { TokenUnavailableError } from '../wechat-api/token-unavailable.js';
import type { TokenWait } from '../worker/token-wait.js';
import type { CampaignMeta } from './campaign-meta.js';
import type { QuotaPause } from './quota-pause.js';
import type { RecordWriter } from './record-writer.js';
import type { TemplateAdmission } from './template-admission.js';
import { mergePayload, templateBody, type TemplateJobData } from './template-jobs.js';
import { decideTemplateOutcome, type TemplateDecision } from './template-outcome.js';

export const TEMPLATE_SEND_PATH = '/cgi-bin/message/template/send';

export interface TemplateProcessorDeps {
  client: Pick<WeChatClient, 'call'>;
  admission: TemplateAdmission;
  meta: Pick<CampaignMeta, 'get'>;
  writer: Pick<RecordWriter, 'outcome'>;
  quotaPause: Pick<QuotaPause, 'start'>;
  /** How a send waits for an access_token that cannot be had (shared with the customer-service sends). */
  tokenWait: TokenWait;
  logger: Logger;
  /** Metrics hook: one call per API answer. */
  onDecision?(appid: string, decision: TemplateDecision): void;
}

export interface TemplateProcessorOptions {
  /** How long a paused campaign's job stays parked before it looks again (resume promotes it sooner). */
  parkMs?: number;
  /** First wait while the access_token cannot be had, doubled each time up to tokenWaitMaxMs (the runtime's token wait). */
  tokenWaitMs?: number;
  tokenWaitMaxMs?: number;
}

export interface TemplateResult {
  status: 'sent' | 'failed' | 'cancelled';
  msgid?: string;
  errcode?: number;
}

const round = (n: number) => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function later(job: Job, token: string | undefined, ms: number): Promise<never> {
  // Back to delayed: not an attempt (BullMQ counts attempts on failures only).
  await job.moveToDelayed(Date.now() + Math.max(1, Math.ceil(ms)), token);
  throw new DelayedError();
}

export function createTemplateProcessor(
  { client, admission, meta, writer, quotaPause, tokenWait, logger, onDecision }: TemplateProcessorDeps,
  { parkMs = 5 * 60_000 }: TemplateProcessorOptions = {},
) {
  const base = logger.child({ layer: 'send' });

  return async function processTemplate(job: Job<TemplateJobData>, token?: string): Promise<TemplateResult> {
    const d = job.data;
    const id = job.id!;
    const campaignId = d.kind === 'campaign' ? d.campaignId : undefined;
    const attempt = job.attemptsMade + 1;
    const log = base.child({ appid: d.appid, openid: d.openid, campaignId, dedupKey: id });

    const admitted = await admission.admit(d.appid, campaignId, id);
    if (admitted.kind === 'cancelled') {
      await writer.outcome({ id, status: 'cancelled', attempts: job.attemptsMade });
      log.info({ outcome: 'cancelled' }, 'template not sent: campaign cancelled');
      return { status: 'cancelled' };
    }
    if (admitted.kind === 'paused') return later(job, token, parkMs);
    if (admitted.kind === 'quota_paused' || admitted.kind === 'rate') return later(job, token, admitted.waitMs);
    if (admitted.waitMs > 0) await sleep(admitted.waitMs); // the rate slot reserved for this send

    const payload = d.kind === 'single' ? d.payload : mergePayload(await meta.get(d.appid, d.campaignId), d);
    const started = performance.now();
    let outcome: Parameters<typeof decideTemplateOutcome>[0];
    try {
      outcome = { result: await client.call<{ msgid?: number }>(d.appid, TEMPLATE_SEND_PATH, templateBody(d.openid, payload, id), { log }) };
    } catch (error) {
      outcome = { error };
    }
    const ms = round(performance.now() - started);
    const decision = decideTemplateOutcome(outcome, { attempt, attempts: job.opts.attempts ?? 1 });
    onDecision?.(d.appid, decision);

    switch (decision.action) {
      case 'sent':
        await writer.outcome({ id, status: 'sent', errcode: 0, msgid: decision.msgid, attempts: attempt, sentAt: Date.now() });
        log.info({ attempt, ms, errcode: 0, msgid: decision.msgid, outcome: 'sent' }, 'template sent');
        return { status: 'sent', msgid: decision.msgid };
      case 'failed':
        await writer.outcome({ id, status: 'failed', errcode: decision.errcode, errmsg: decision.errmsg, attempts: attempt });
        log.error({ attempt, ms, errcode: decision.errcode, errmsg: decision.errmsg, code: decision.code, outcome: 'failed' }, 'template not sent: failed');
        return { status: 'failed', errcode: decision.errcode };
      case 'retry':
        log.warn({ attempt, ms, errcode: decision.errcode, errmsg: decision.errmsg, code: decision.code, outcome: 'retrying' }, 'template not sent: will retry');
        throw (outcome as { error: unknown }).error;
      case 'quota_pause': {
        const waitMs = await quotaPause.start(d.appid);
        log.warn({ attempt, ms, errcode: decision.errcode, errmsg: decision.errmsg, outcome: 'quota_paused', waitMs }, 'template not sent: daily quota reached, waiting for the quota day');
        return later(job, token, waitMs);
      }
      case 'token_wait':
        // No deadline: a notification has no reply window to miss; it waits until the token is back.
        return tokenWait.wait(job, token, (outcome as { error: TokenUnavailableError }).error, { deadline: Number.MAX_SAFE_INTEGER, log });
    }
  };
}
