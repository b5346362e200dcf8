// A Lua script run by its SHA1 (EVALSHA): the body is sent only when Redis does not know it yet
// (first call, SCRIPT FLUSH, a restart or failover: NOSCRIPT, then one EVAL), not with every call.
// EVAL with the body each time made Redis hash the script per call and the client write it
// out per call; the worker runs two scripts per message.
import { createHash } from 'node:crypto';
import type { RedisConnection } from '../redis.js';

/** Lua prelude: `now`, Redis's clock in epoch ms, so that every host agrees. */
export const LUA_NOW_MS = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

export interface LuaScript {
  run(keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

export function createLuaScript({ redis }: { redis: RedisConnection }, { source }: { source: string }): LuaScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return {
    async run(keys, args) {
      try {
        return await redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        return redis.eval(source, keys.length, ...keys, ...args);
      }
    },
  };
}
