// The `template` queue: one job per template message (a campaign's recipient or a single
// message). Job ids are derived, never random: a campaign submitted twice, or a recipient list
// read again after a crash, adds the same ids, which BullMQ ignores; the same id goes to WeChat
// as client_msg_id (its own 防重入 key, per openid, 10 minutes) as a second guard.
import { createHash, randomBytes } from 'node:crypto';
import type { JobsOptions } from 'bullmq';

export const TEMPLATE_QUEUE = 'template';

export type TemplateData = Record<string, { value: string; color?: string }>;

export interface TemplatePayload {
  template_id: string;
  url?: string;
  miniprogram?: { appid: string; pagepath?: string };
  data: TemplateData;
}

/** A campaign's recipient: the campaign's payload is read once per process (campaign-meta.ts). */
export interface CampaignJobData {
  readonly kind: 'campaign';
  readonly appid: string;
  readonly campaignId: string;
  readonly openid: string;
  /** The recipient's own data, merged over the campaign's. */
  readonly data?: TemplateData;
  readonly url?: string;
  readonly queuedAt: number;
  /** Times this job waited for a token that could not be had (not attempts). */
  readonly tokenWaits?: number;
}

export interface SingleJobData {
  readonly kind: 'single';
  readonly appid: string;
  readonly openid: string;
  readonly payload: TemplatePayload;
  readonly queuedAt: number;
  readonly tokenWaits?: number;
}

export type TemplateJobData = CampaignJobData | SingleJobData;

const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\n')).digest('base64url');

/** Campaign ids: from the idempotency key when there is one (the same key twice is the same campaign). */
export function campaignId(appid: string, idempotencyKey?: string): string {
  return `c${idempotencyKey === undefined ? randomBytes(9).toString('base64url') : digest('campaign', appid, idempotencyKey).slice(0, 12)}`.replace(/-/g, 'x');
}

/** A campaign recipient's job id (and client_msg_id): no `:`, never all digits. */
export function campaignJobId(campaign: string, openid: string): string {
  return `${campaign}_${openid}`;
}

export function singleJobId(appid: string, idempotencyKey?: string): string {
  return `t${idempotencyKey === undefined ? randomBytes(12).toString('base64url') : digest('single', appid, idempotencyKey).slice(0, 16)}`.replace(/-/g, 'x');
}

export function templateJobOptions(jobId: string, { attempts, backoffMs }: { attempts: number; backoffMs: number }): JobsOptions {
  return { jobId, attempts, backoff: { type: 'exponential', delay: backoffMs } };
}

/** What goes to template/send. */
export function templateBody(openid: string, payload: TemplatePayload, clientMsgId: string): Record<string, unknown> {
  return { touser: openid, ...payload, client_msg_id: clientMsgId };
}

export function mergePayload(shared: TemplatePayload, own: { data?: TemplateData; url?: string }): TemplatePayload {
  return { ...shared, ...(own.url !== undefined ? { url: own.url } : {}), data: { ...shared.data, ...own.data } };
}
