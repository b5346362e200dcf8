// autocannon over a pre-generated pool of pushes: every request a unique MsgId, a fresh nonce
// and a valid signature, made before the run so that the load generator does the same (no)
// crypto work for every target.
import autocannon from 'autocannon';
import type { BuiltPush } from '../../src/dev/pushes.js';

export interface LoadResult {
  /** Requests whose latency was measured. */
  readonly requests: number;
  /**
   * Pushes answered with a 2xx in the whole load, the constant-rate warm-up included: the
   * target's CPU over the load divided by this is its CPU per push.
   */
  readonly answered: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  /** Count per status code outside 2xx, so that a stray one can be told apart (409, 503…). */
  readonly statuses?: Record<string, number>;
  readonly errors: number;
}

export interface LoadOptions {
  durationS?: number;
  connections?: number;
}

export async function runLoad(url: string, pool: readonly BuiltPush[], { durationS = 10, connections = 50 }: LoadOptions = {}): Promise<LoadResult> {
  let next = 0;
  const result = await autocannon({
    url,
    connections,
    duration: durationS,
    headers: { 'content-type': 'text/xml' },
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const push = pool[next++ % pool.length]!;
          return { ...req, path: push.path, body: push.body };
        },
      },
    ],
  });
  return {
    requests: result.requests.total,
    answered: result['2xx'],
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).filter(([code]) => !code.startsWith('2')).map(([code, s]) => [code, s.count ?? 0])),
    errors: result.errors + result.timeouts,
  };
}
