// An Idempotency-Key names one request: sent again with the same payload, it answers as it did
// the first time; with another payload it is a 409 (idempotency_key_reused), since keeping the
// first silently would lose the second (a message never sent, a campaign's settings merged into
// another's). The payload compared is the one on record in PostgreSQL, so a key means the same
// for as long as its record is kept.
import { ConflictError, ParameterError } from '../errors.js';
import type { TemplatePayload } from './template-jobs.js';

export const IDEMPOTENCY_KEY_MAX = 200;

/** The key as given, or a 400: cut to the limit, two keys that share their start would name one request. */
export function checkIdempotencyKey(key: string | undefined): string | undefined {
  if (key !== undefined && key.length > IDEMPOTENCY_KEY_MAX) throw new ParameterError('idempotency_key', `an Idempotency-Key is at most ${IDEMPOTENCY_KEY_MAX} characters, this one has ${key.length}`);
  return key;
}

/** JSON with its object keys sorted: jsonb hands an object back in an order of its own. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** What defines a campaign, the same whichever way it was sent: not its recipients (a resubmission adds to them). */
export function campaignDefinition(c: { template_id: string; url?: string | null; miniprogram?: TemplatePayload['miniprogram'] | null; data?: unknown }): string {
  return canonicalJson({ template_id: c.template_id, url: c.url ?? null, miniprogram: c.miniprogram ?? null, data: c.data ?? {} });
}

export function reusedKey(what: string): ConflictError {
  return new ConflictError('idempotency_key_reused', `this Idempotency-Key already names ${what} with another payload: use a new key for a new request`);
}
