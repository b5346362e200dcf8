// Injected faults: make the mock slow, wrong or silent for chosen calls, so tests and benchmarks
// can show what wxgate does when WeChat misbehaves. First matching fault wins.
import { z } from 'zod';

/** Short names for the paths a fault may target (a full /cgi-bin/… path works too). */
export const FAULT_PATHS: Readonly<Record<string, string>> = Object.freeze({
  send: '/cgi-bin/message/custom/send',
  typing: '/cgi-bin/message/custom/typing',
  template: '/cgi-bin/message/template/send',
  token: '/cgi-bin/token',
  stable_token: '/cgi-bin/stable_token',
  callbackip: '/cgi-bin/getcallbackip',
});

export const faultSchema = z
  .object({
    path: z.string().min(1).optional(),
    appid: z.string().min(1).optional(),
    openid: z.string().min(1).optional(),
    errcode: z.number().int().optional(),
    errmsg: z.string().optional(),
    /** Answer with this HTTP status (and no JSON) instead. */
    status: z.number().int().min(100).max(599).optional(),
    latencyMs: z.number().min(0).max(600_000).optional(),
    /**
     * WeChat does the call's work at once (a send is recorded) and its answer comes this much
     * later, whether the caller still waits or not: the send whose outcome its caller cannot know
     * when it dies meanwhile (issue 14 item 4). latencyMs, by contrast, waits before any work.
     */
    answerLatencyMs: z.number().min(0).max(600_000).optional(),
    /** Destroy the socket: the caller sees a network error. */
    drop: z.boolean().optional(),
    rate: z.number().min(0).max(1).optional(),
    count: z.number().int().min(1).optional(),
  })
  .strict();

export type Fault = z.infer<typeof faultSchema>;

export interface FaultTarget {
  path: string;
  appid?: string;
  openid?: string;
}

export interface MockFaults {
  add(faults: Fault | Fault[]): void;
  clear(): void;
  list(): Fault[];
  /** The fault to apply to this call, if any (uses up one of its `count`). */
  take(target: FaultTarget): Fault | undefined;
}

export function createMockFaults(): MockFaults {
  let faults: Fault[] = [];

  const matches = (f: Fault, t: FaultTarget) =>
    (f.path === undefined || (FAULT_PATHS[f.path] ?? f.path) === t.path) &&
    (f.appid === undefined || f.appid === t.appid) &&
    (f.openid === undefined || f.openid === t.openid);

  return {
    add(list) {
      faults.push(...(Array.isArray(list) ? list : [list]).map((f) => ({ ...f })));
    },
    clear() {
      faults = [];
    },
    list: () => faults.map((f) => ({ ...f })),
    take(target) {
      for (const f of faults) {
        if (!matches(f, target)) continue;
        if (f.rate !== undefined && Math.random() >= f.rate) continue;
        if (f.count !== undefined) {
          f.count -= 1;
          if (f.count <= 0) faults = faults.filter((g) => g !== f);
        }
        return { ...f };
      }
      return undefined;
    },
  };
}
