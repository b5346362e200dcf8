// An upload refused (or failed) after its campaign was created and part of its list queued. The
// answer is the refusal's own (its code, status and message: a 400 naming the line, a 409
// campaign_cancelled) plus the campaign it leaves behind: without an Idempotency-Key the id is
// random and this answer is the only place the caller learns it, to GET the campaign, cancel
// it, or send the rest of the list to it (POST …/campaigns/:id/recipients) instead of resending
// the whole list as a new campaign, which would send the recipients already queued a second message.
import { WxgateError } from '../errors.js';

export interface ListCutDetails {
  campaign_id: string;
  /** The campaign's recipients on record (all of them, with those of earlier uploads). */
  recipients?: number;
  /** Queued by this upload. */
  queued: number;
}

export class ListCutError extends WxgateError {
  constructor(cause: unknown, details: ListCutDetails) {
    // Not one of ours (PostgreSQL or Redis failing part-way, a socket reset): a 500 whose
    // message is not shown, but the campaign is named all the same.
    const known = cause instanceof WxgateError ? cause : undefined;
    super(known?.code ?? 'internal_error', known?.message ?? (cause instanceof Error ? cause.message : String(cause)), {
      status: known?.status ?? 500,
      expose: known?.expose ?? false,
      retryable: known?.retryable ?? false,
      cause,
      details: { ...known?.details, ...details },
    });
  }
}
