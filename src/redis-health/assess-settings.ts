// Which Redis settings put acknowledged pushes at risk, what that risk is, and the fix. Pure.
// wxgate answers WeChat `success` once the push is in Redis: from then on Redis is the only copy.
// - appendonly: without AOF a restart loses everything since the last RDB snapshot (or all of it).
// - appendfsync: `no` leaves it to the OS when the AOF reaches the disk (~30 s on Linux).
// - maxmemory-policy: anything but noeviction lets Redis delete BullMQ's keys under memory
//   pressure (https://docs.bullmq.io/guide/going-to-production#max-memory-policy).
import { UNKNOWN, type RedisSettings } from './read-redis-state.js';

export const CHECKED_SETTINGS = ['appendonly', 'appendfsync', 'maxmemory-policy'] as const;
export type CheckedSetting = (typeof CHECKED_SETTINGS)[number];

export const SETTING_STATES = ['ok', 'unsafe', 'unknown'] as const;
export type SettingState = (typeof SETTING_STATES)[number];

export interface SettingFinding {
  readonly setting: CheckedSetting;
  readonly value: string;
  readonly state: SettingState;
  /** What to do (unsafe or unknown). */
  readonly fix?: string;
  /** What happens if nothing is done (unsafe). */
  readonly risk?: string;
}

const KEPT = 'the acknowledged pushes waiting in the queue, the replies waiting to be sent, the dedup records, the reply quotas and the access_token';

function appendonly({ appendonly: value, save }: RedisSettings): SettingFinding {
  const setting = 'appendonly';
  if (value === 'yes') return { setting, value, state: 'ok' };
  if (value === UNKNOWN) return { setting, value, state: 'unknown', fix: 'make sure this Redis keeps an append-only file fsynced every second (appendonly yes, appendfsync everysec)' };
  const risk =
    save === ''
      ? `a restart of Redis loses every key (no AOF, no RDB save points): ${KEPT}`
      : `a restart of Redis loses what changed since the last RDB snapshot (save ${save === UNKNOWN ? 'points unknown' : `"${save}"`}): ${KEPT}`;
  return { setting, value, state: 'unsafe', fix: 'CONFIG SET appendonly yes, then CONFIG REWRITE (or appendonly yes in redis.conf)', risk };
}

function appendfsync({ appendfsync: value }: RedisSettings): SettingFinding {
  const setting = 'appendfsync';
  if (value === 'everysec' || value === 'always') return { setting, value, state: 'ok' };
  if (value === UNKNOWN) return { setting, value, state: 'unknown', fix: 'make sure this Redis fsyncs its append-only file every second (appendfsync everysec)' };
  return { setting, value, state: 'unsafe', fix: 'CONFIG SET appendfsync everysec, then CONFIG REWRITE', risk: 'the operating system decides when the append-only file reaches the disk: a crash of the machine loses up to about 30 s of writes' };
}

function maxmemoryPolicy({ 'maxmemory-policy': value }: RedisSettings): SettingFinding {
  const setting = 'maxmemory-policy';
  if (value === 'noeviction') return { setting, value, state: 'ok' };
  if (value === UNKNOWN) return { setting, value, state: 'unknown', fix: 'make sure this Redis never evicts keys (maxmemory-policy noeviction)' };
  return { setting, value, state: 'unsafe', fix: 'CONFIG SET maxmemory-policy noeviction, then CONFIG REWRITE', risk: `under memory pressure Redis deletes keys: ${KEPT}; BullMQ needs noeviction` };
}

export function assessSettings(settings: RedisSettings): SettingFinding[] {
  return [appendonly(settings), appendfsync(settings), maxmemoryPolicy(settings)];
}
