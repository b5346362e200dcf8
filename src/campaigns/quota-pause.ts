// After a 45009 on template/send the account's template sends pause until WeChat's quota day
// turns (00:00 Beijing): one Redis key per account with that expiry, read by every worker's
// admission script, so no process spends another call (or a recipient's retries) on it. The
// first process to see the 45009 logs the pause; each process that paused logs the resume.
import type { RedisConnection } from '../redis.js';
import type { Logger } from '../logger.js';
import { nextQuotaDay, type Clock } from './quota-day.js';
import type { RedisKeys } from '../redis-keys.js';

export interface QuotaPause {
  /** Starts (or joins) the pause; resolves with the ms until it ends (the hooks get the real time it ends). */
  start(appid: string): Promise<number>;
  /** Stops the resume timers (process shutdown). */
  close(): void;
}

export interface QuotaPauseHooks {
  onPause?(appid: string, until: number): void | Promise<void>;
  onResume?(appid: string): void | Promise<void>;
}

export function createQuotaPause({ redis, logger, hooks = {} }: { redis: RedisConnection; logger: Logger; hooks?: QuotaPauseHooks }, { keys, clock = Date.now }: { keys: RedisKeys; clock?: Clock }): QuotaPause {
  const log = logger.child({ layer: 'send' });
  const timers = new Map<string, NodeJS.Timeout>();

  return {
    async start(appid) {
      const now = clock();
      const until = nextQuotaDay(now);
      const ms = Math.max(1, until - now);
      const first = (await redis.set(keys.templatePause(appid), String(until), 'PX', ms, 'NX')) === 'OK';
      const left = first ? ms : Math.max(1, await redis.pttl(keys.templatePause(appid)));
      if (!timers.has(appid)) {
        const t = setTimeout(() => {
          timers.delete(appid);
          log.info({ appid, outcome: 'quota_resumed' }, "WeChat's quota day turned: template sends resume");
          void Promise.resolve(hooks.onResume?.(appid)).catch((err: Error) => log.warn({ appid, err: err.message }, 'quota resume hook failed'));
        }, left);
        t.unref();
        timers.set(appid, t); // before the await: sends answered 45009 at the same time join this one
        // The records say so before the log line does: whoever reads the line finds the campaign paused.
        await Promise.resolve(hooks.onPause?.(appid, Date.now() + left)).catch((err: Error) => log.warn({ appid, err: err.message }, 'quota pause hook failed'));
      }
      if (first) log.warn({ appid, errcode: 45009, outcome: 'quota_paused', until: new Date(until).toISOString(), pausedMs: ms }, "template quota reached (45009): sends paused until WeChat's quota day turns");
      return left;
    },
    close() {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
