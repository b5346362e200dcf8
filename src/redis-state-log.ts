// One log line per change of a Redis connection's state — down, then up again — instead of one
// per reconnect attempt from every worker, blocking connection and queue (issue 14 item 7: the
// operator of an `npm start` with Redis away saw a stream of `worker error` lines).
import type { RedisConnection } from './redis.js';
import type { Logger } from './logger.js';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** A lost or refused connection (the state logger tells of it), not an error of the command. */
export function isConnectionError(err: Error & { code?: string }): boolean {
  return (err.code !== undefined && CONNECTION_CODES.has(err.code)) || /Connection is closed|ECONNREFUSED|ETIMEDOUT|ECONNRESET|connect ETIMEDOUT/.test(err.message);
}

/**
 * Logs `Redis unreachable` when the connection starts retrying (ioredis 'reconnecting': not on
 * a deliberate disconnect) and `Redis reachable again` at the next 'ready'; nothing in between.
 */
export function watchRedisState(redis: RedisConnection, log: Logger, { what }: { what: string }): void {
  let down = false;
  let downSince = 0;
  let lastError: string | undefined;
  redis.on('error', (err: Error) => {
    lastError = err.message;
  });
  redis.on('reconnecting', () => {
    if (down) return;
    down = true;
    downSince = Date.now();
    log.warn({ redis: 'down', err: lastError }, `Redis unreachable: ${what} wait and retry (one line again when it is back)`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ redis: 'up', downMs: Date.now() - downSince }, `Redis reachable again: ${what} resume`);
  });
}
