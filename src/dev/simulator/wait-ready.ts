// Before `wxgate simulate` pushes, the target must be listening: started together (the README's
// by-hand block, a script), the first pushes otherwise meet a closed port and the summary reports
// 连接超时 that is no fault of the gateway (issue 16). Ready is GET /readyz answering 200 (wxgate:
// Redis reachable), or 404 (a server without /readyz: it listens, which is all that can be known).
import { setTimeout as sleep } from 'node:timers/promises';

export type Readiness = { ready: true; waitedMs: number } | { ready: false; last: string };

export async function waitUntilReady(pushUrl: string, { timeoutMs = 30_000, intervalMs = 200, requestTimeoutMs = 2000 }: { timeoutMs?: number; intervalMs?: number; requestTimeoutMs?: number } = {}): Promise<Readiness> {
  const readyz = new URL('/readyz', pushUrl).href;
  const started = Date.now();
  let last = 'not asked';
  for (;;) {
    try {
      const res = await fetch(readyz, { signal: AbortSignal.timeout(requestTimeoutMs) });
      const body = await res.text();
      if (res.status === 200 || res.status === 404) return { ready: true, waitedMs: Date.now() - started };
      last = `HTTP ${res.status} ${body.slice(0, 200)}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      last = cause?.code ?? (err as Error).name;
    }
    if (Date.now() - started + intervalMs > timeoutMs) return { ready: false, last };
    await sleep(intervalMs);
  }
}
