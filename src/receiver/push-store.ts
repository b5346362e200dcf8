// Makes an acknowledged push durable: into Redis within a time bound, else into the local
// spool (fsynced). Only if both fail does the push get a 503 (UnavailableError), so that
// WeChat delivers it again.
import { performance } from 'node:perf_hooks';
import { UnavailableError } from '../errors.js';
import { withTimeout } from '../with-timeout.js';
import type { InboundProducer } from '../queue/inbound-producer.js';
import { INBOUND_QUEUE, type InboundJobData } from '../queue/jobs.js';
import type { Spool } from '../queue/spool.js';
import type { NonceGuard } from './nonce-guard.js';

export interface NonceCheck {
  readonly timestamp: string;
  readonly nonce: string;
  readonly body: string;
}

export interface StoreResult {
  readonly outcome: 'acked' | 'spooled';
  /** 'retry' when the nonce was seen with the same body; 'unchecked' when Redis could not say. */
  readonly nonce?: 'first' | 'retry' | 'unchecked';
  readonly ms: number;
}

export interface PushStore {
  store(job: InboundJobData, nonceCheck?: NonceCheck): Promise<StoreResult>;
}

export function createPushStore(
  { producer, spool, nonceGuard }: { producer: InboundProducer; spool: Spool; nonceGuard: NonceGuard },
  { timeoutMs = 1000 }: { timeoutMs?: number } = {},
): PushStore {
  return {
    async store(job, nonceCheck) {
      const started = performance.now();
      let nonce: StoreResult['nonce'];
      try {
        if (nonceCheck) {
          const { timestamp, nonce: n, body } = nonceCheck;
          nonce = await withTimeout(nonceGuard.check(job.appid, timestamp, n, body), timeoutMs, 'nonce check');
        }
        await producer.add(job, Math.max(1, timeoutMs - (performance.now() - started)));
        return { outcome: 'acked', nonce, ms: performance.now() - started };
      } catch (err) {
        if (!(err instanceof UnavailableError) && !isConnectionError(err)) throw err; // e.g. nonce_replayed
        // Redis is down or slow: the signature and timestamp window still hold; the replay
        // check waits for Redis (it is the only thing we give up while spooling).
        await spool.append({ queue: INBOUND_QUEUE, jobId: job.dedupKey, data: job });
        return { outcome: 'spooled', nonce: nonce ?? 'unchecked', ms: performance.now() - started };
      }
    },
  };
}

/** ioredis rejects with plain Errors when the connection is down and the offline queue is off. */
function isConnectionError(err: unknown): boolean {
  const msg = (err as Error)?.message ?? '';
  return /Stream isn't writeable|Connection is closed|ECONNREFUSED|ETIMEDOUT|ECONNRESET|max retries/i.test(msg);
}
