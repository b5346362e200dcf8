// The faults suite's takeover case (issue 14 item 5): two `serve`s behind the project's nginx
// (nginx/nginx.conf, both as upstreams), two workers, the steady load pushed through nginx. Half
// way through, one serve gets SIGTERM: it stops taking connections, answers what it holds with
// `Connection: close` and must be gone within WXGATE_SHUTDOWN_TIMEOUT_MS, while nginx sends the
// rest to the other one (proxy_next_upstream: a refused or closed connection is tried on the
// other receiver). Once it is gone it is started again on its port (a supervisor's restart).
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { findNginx, startNginx, type LocalNginx } from '../../test/nginx/nginx-helper.js';
import type { FaultCase, FaultCaseOptions, FaultCaseResult } from './case.js';
import { loadStarted } from './load-start.js';
import { caseResult } from './result.js';
import { allSuccessTarget, exitTarget } from './signal-figures.js';
import { answerOf, isSuccess, startStack } from './stack.js';
import { signalAndTime } from './timed-exit.js';

const NAME = 'serve-takeover';
const TITLE = 'SIGTERM of one of two serves behind nginx under load, the other taking over';

/** nginx's access lines: answers by status, and the pushes it tried on a second receiver. */
function accessFigures(file: string): { byStatus: Record<string, number>; retried: number; retriedUpstreamStatus: Record<string, number> } {
  const byStatus: Record<string, number> = {};
  const retriedUpstreamStatus: Record<string, number> = {};
  let retried = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const l = JSON.parse(line) as { status: number; upstream_status: string; request: string };
    if (!l.request.includes('/wechat')) continue;
    byStatus[l.status] = (byStatus[l.status] ?? 0) + 1;
    if (l.upstream_status.includes(',')) {
      retried += 1;
      retriedUpstreamStatus[l.upstream_status] = (retriedUpstreamStatus[l.upstream_status] ?? 0) + 1;
    }
  }
  return { byStatus, retried, retriedUpstreamStatus };
}

const list = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';

export const serveTakeover: FaultCase = {
  name: NAME,
  title: TITLE,
  async run({ durationS, rate, workDir, log }: FaultCaseOptions): Promise<FaultCaseResult[]> {
    const found = findNginx();
    if (!found.path) throw new Error(`the ${NAME} case runs the project's nginx in front of two receivers: ${found.problem}`);
    const stack = await startStack({ workDir, serves: 2, workers: 2, log });
    let nginx: LocalNginx | undefined;
    try {
      nginx = await startNginx({ nginx: found.path, upstreams: stack.serves.map((s) => s.port) });
      const deadlineMs = Number(stack.env.WXGATE_SHUTDOWN_TIMEOUT_MS ?? 10_000);
      const loading = stack.load({ rate, durationS, url: `http://127.0.0.1:${nginx.port}/wechat` });
      loading.catch(() => undefined); // awaited below; a fault that throws first must not leave it unhandled
      const t0 = await loadStarted(stack);
      await sleep(Math.max(0, t0 + (durationS * 1000) / 2 - Date.now()));
      const victim = stack.serves[0]!;
      const signalAt = Date.now();
      const exit = await signalAndTime(victim.child, 'SIGTERM', deadlineMs + 30_000);
      const goneAt = Date.now();
      log(`SIGTERM to serve ${victim.child.pid} (port ${victim.port}) at ${((signalAt - t0) / 1000).toFixed(1)} s: ${exit ? `gone after ${exit.exitMs} ms, code ${exit.code}` : 'not gone: killed'}`);
      await stack.startServe(victim.port);
      const backAt = Date.now();
      log(`serve started again on ${victim.port} after ${backAt - goneAt} ms`);
      const results = await loading;
      const drainMs = await stack.drain(results);
      await sleep(3000); // a second reply would come within this; nginx writes its access log every second
      const record = stack.record(results);
      const access = accessFigures(nginx.accessLog);
      const refused = readFileSync(nginx.errorLog, 'utf8').split('\n').filter((l) => l.includes('upstream')).length;
      const window = (from: number, to: number) => {
        const r: Record<string, number> = {};
        let success = 0;
        for (const d of results.flatMap((m) => m.deliveries)) {
          if (d.at < from || d.at >= to) continue;
          if (isSuccess(d)) success += 1;
          else r[String(answerOf(d))] = (r[String(answerOf(d))] ?? 0) + 1;
        }
        return { success, other: r };
      };
      const stopping = window(signalAt, goneAt);
      const oneLeft = window(goneAt, backAt);
      const afterSignal = window(signalAt, Infinity);
      const closing = stack.lines().filter((l) => l.msg === 'connections still open at the shutdown deadline: closed');
      const notes = [
        `SIGTERM at ${((signalAt - t0) / 1000).toFixed(1)} s into the load; the serve was gone ${exit ? `${exit.exitMs} ms later (exit code ${exit.code})` : 'only when killed'}, WXGATE_SHUTDOWN_TIMEOUT_MS ${deadlineMs}${stack.env.WXGATE_SHUTDOWN_TIMEOUT_MS ? '' : ' (default)'}; ${closing.length > 0 ? `it closed ${closing.map((l) => String(l.connections)).join('+')} connections still open at the deadline` : 'no connection was still open at its deadline'}; started again on its port ${backAt - goneAt} ms after it was gone`,
        `deliveries while it stopped: ${stopping.success} success, other ${list(stopping.other)}; while one serve was left: ${oneLeft.success} success, other ${list(oneLeft.other)}`,
        `nginx: answers by status ${list(access.byStatus)}; ${access.retried} pushes tried on the second receiver (upstream statuses ${list(access.retriedUpstreamStatus)}); ${refused} error-log lines about an upstream`,
      ];
      return [
        caseResult({
          name: NAME,
          title: TITLE,
          record,
          drainMs,
          exitMs: exit?.exitMs,
          targets: [exitTarget(exit?.exitMs, deadlineMs), allSuccessTarget(afterSignal.other, 'from the SIGTERM on')],
          notes,
        }),
      ];
    } finally {
      await nginx?.stop();
      await stack.stop();
    }
  },
};
