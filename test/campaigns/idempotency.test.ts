import { describe, expect, it } from 'vitest';
import { campaignDefinition, canonicalJson, checkIdempotencyKey } from '../../src/campaigns/idempotency.js';

describe('what an Idempotency-Key is compared on', () => {
  it('canonicalJson: object keys in any order (jsonb reorders them), arrays in theirs, undefined as absent', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: 'x' } })).toBe(canonicalJson({ a: { c: 'x', d: [2, 1] }, b: 1 }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
    expect(canonicalJson({ a: 1, u: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it('campaignDefinition: a record (nulls) and a request (absent fields) of the same campaign agree', () => {
    expect(campaignDefinition({ template_id: 'T', url: null, miniprogram: null, data: {} })).toBe(campaignDefinition({ template_id: 'T' }));
    expect(campaignDefinition({ template_id: 'T', url: 'https://a' })).not.toBe(campaignDefinition({ template_id: 'T' }));
  });

  it('a key over 200 characters: idempotency_key_invalid', () => {
    expect(checkIdempotencyKey('k'.repeat(200))).toHaveLength(200);
    expect(() => checkIdempotencyKey('k'.repeat(201))).toThrow(expect.objectContaining({ code: 'idempotency_key_invalid', status: 400 }));
  });
});
