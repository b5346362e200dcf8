// The arithmetic of the cluster suite (bench/cluster.ts), kept apart so it is tested on its own:
// which master serves an account, a Redis's CPU per push net of what it spends idle, and the plan
// drawn from it — the pushes one shard carries at a given share of its core, the shards a push
// rate needs.

/** One shard as CLUSTER SLOTS tells it: a slot range, its master's port and its replicas' ports. */
export interface SlotRange {
  readonly from: number;
  readonly to: number;
  readonly master: number;
  readonly replicas: readonly number[];
}

/** CLUSTER SLOTS's answer: `[from, to, [host, port, id], [host, port, id]…]` per range. */
export function parseClusterSlots(reply: unknown): SlotRange[] {
  if (!Array.isArray(reply)) throw new TypeError('CLUSTER SLOTS answered no array');
  return (reply as unknown[][]).map(([from, to, master, ...replicas]) => ({
    from: Number(from),
    to: Number(to),
    master: Number((master as unknown[])[1]),
    replicas: (replicas as unknown[][]).map((r) => Number(r[1])),
  }));
}

/** The port of the master serving `slot`. */
export function masterOfSlot(ranges: readonly SlotRange[], slot: number): number {
  const range = ranges.find((r) => slot >= r.from && slot <= r.to);
  if (!range) throw new RangeError(`no master serves slot ${slot}`);
  return range.master;
}

/**
 * `perMaster` accounts on each master, in the order of `candidates` (each with its slot): so every
 * master carries the same share of a load spread evenly over the accounts.
 */
export function pickAccounts<T extends { readonly slot: number }>(candidates: readonly T[], ranges: readonly SlotRange[], perMaster: number): (T & { master: number })[] {
  const masters = [...new Set(ranges.map((r) => r.master))];
  const picked = new Map<number, (T & { master: number })[]>(masters.map((m) => [m, []]));
  for (const c of candidates) {
    const master = masterOfSlot(ranges, c.slot);
    const on = picked.get(master)!;
    if (on.length < perMaster) on.push({ ...c, master });
  }
  const short = masters.filter((m) => picked.get(m)!.length < perMaster);
  if (short.length > 0) throw new RangeError(`too few candidates for ${perMaster} accounts on master(s) ${short.join(', ')}`);
  return masters.flatMap((m) => picked.get(m)!);
}

export interface CpuWindow {
  /** CPU time the process used over the window (µs). */
  readonly cpuUs: number;
  /** Its CPU rate with the gateway idle (µs per second): cron, the cluster bus, idle workers' polls. */
  readonly idleUsPerS: number;
  readonly windowS: number;
  readonly pushes: number;
}

/**
 * CPU per push beyond the idle floor (µs): what each more push costs. The floor is paid whatever
 * the load, so it is taken off the core once (shardCeiling), not spread over the pushes of one
 * particular rate.
 */
export function netUsPerPush({ cpuUs, idleUsPerS, windowS, pushes }: CpuWindow): number {
  if (!(pushes > 0)) throw new RangeError('CPU per push of no pushes');
  return Math.max(0, cpuUs - idleUsPerS * windowS) / pushes;
}

/**
 * Pushes per second one Redis (one shard) carries when `coreShare` of its one core goes to them:
 * 1 is the ceiling at 100 % of the core, where its latency has long gone; plan below it.
 */
export function shardCeiling(usPerPush: number, { coreShare = 1, idleUsPerS = 0 }: { coreShare?: number; idleUsPerS?: number } = {}): number {
  if (!(usPerPush > 0)) throw new RangeError('a ceiling from no CPU per push');
  if (!(coreShare > 0 && coreShare <= 1)) throw new RangeError(`a core share of ${coreShare}`);
  return Math.floor(Math.max(0, 1e6 * coreShare - idleUsPerS) / usPerPush);
}

/** Shards (masters) a push rate needs at `perShard` pushes per second each. */
export function shardsNeeded(pushesPerS: number, perShard: number): number {
  if (!(perShard > 0)) throw new RangeError('shards for a shard that carries nothing');
  return Math.max(1, Math.ceil(pushesPerS / perShard));
}
