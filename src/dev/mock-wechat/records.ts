// What the mock saw: the accepted sends (the last `maxRecorded`, so a long benchmark does not
// grow without bound) and counters that are never trimmed.

export interface SentRecord {
  path: string;
  appid: string;
  body: unknown;
  /** Epoch ms. */
  at: number;
}

export interface MockStats {
  tokenFetches: {
    total: number;
    byAppid: Record<string, number>;
    stable: number;
    classic: number;
    forced: number;
    /** Answered with an errcode (including injected faults). */
    failed: number;
    /** New tokens handed out (a stable call returning the current token issues none). */
    issued: number;
  };
  sends: {
    total: number;
    byErrcode: Record<string, number>;
    byPath: Record<string, number>;
  };
  faults: { applied: number };
  sent: { recorded: number; evicted: number };
}

export interface SentFilter {
  path?: string;
  appid?: string;
  touser?: string;
  limit?: number;
}

export interface MockRecords {
  stats(): MockStats;
  readonly counters: MockStats;
  record(entry: SentRecord): void;
  sent(filter?: SentFilter): SentRecord[];
  clear(): void;
}

function emptyStats(): MockStats {
  return {
    tokenFetches: { total: 0, byAppid: {}, stable: 0, classic: 0, forced: 0, failed: 0, issued: 0 },
    sends: { total: 0, byErrcode: {}, byPath: {} },
    faults: { applied: 0 },
    sent: { recorded: 0, evicted: 0 },
  };
}

export function createMockRecords({ maxRecorded }: { maxRecorded: number }): MockRecords {
  let ring: SentRecord[] = [];
  let head = 0; // index of the oldest entry once the ring is full
  let counters = emptyStats();

  return {
    get counters() {
      return counters;
    },
    stats: () => structuredClone({ ...counters, sent: { recorded: ring.length, evicted: counters.sent.evicted } }),
    record(entry) {
      if (maxRecorded <= 0) {
        counters.sent.evicted++;
        return;
      }
      if (ring.length < maxRecorded) {
        ring.push(entry);
      } else {
        ring[head] = entry;
        head = (head + 1) % maxRecorded;
        counters.sent.evicted++;
      }
    },
    sent({ path, appid, touser, limit } = {}) {
      const ordered = ring.length < maxRecorded ? ring : [...ring.slice(head), ...ring.slice(0, head)];
      let out = ordered.filter(
        (r) => (path === undefined || r.path === path) && (appid === undefined || r.appid === appid) && (touser === undefined || (r.body as { touser?: string } | null)?.touser === touser),
      );
      if (limit !== undefined) out = out.slice(-limit);
      return out;
    },
    clear() {
      ring = [];
      head = 0;
      counters = emptyStats();
    },
  };
}
