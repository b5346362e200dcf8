// The faults suite's slow-client case (issue 14 item 5: one client at 1 byte/s held a stopping
// `serve` for 397 s): the steady load against one serve, and a second before its SIGTERM a few raw
// connections send a signed push's request line and headers, then dribble its body a byte a second
// (and one sends nothing more). The serve must be gone within WXGATE_SHUTDOWN_TIMEOUT_MS whatever
// they do, cutting them at the deadline. The load's pushes meanwhile are refused or reset; a
// second serve on the same port takes WeChat's retries (5 s later), so nothing acknowledged is
// lost. The deadline is 3 s here (the stack's env), below the request timeout (10 s) and the idle
// timeout (5 s), so that only the shutdown deadline can end the slow connections.
import { setTimeout as sleep } from 'node:timers/promises';
import { buildPush, textMessage } from '../../src/dev/pushes.js';
import { rawClient, type RawClient } from '../../test/helpers/raw-client.js';
import type { FaultCase, FaultCaseOptions, FaultCaseResult, FaultTarget } from './case.js';
import { loadStarted } from './load-start.js';
import { caseResult } from './result.js';
import { exitTarget } from './signal-figures.js';
import { ACCOUNT, answerOf, isSuccess, startStack } from './stack.js';
import { signalAndTime } from './timed-exit.js';

const NAME = 'slow-client';
const TITLE = 'slow clients (a byte a second, or stalled) during the SIGTERM of a serve under load';
const SHUTDOWN_TIMEOUT_MS = 3000;
const DRIBBLING = 3;
const STALLED = 1;

/** A signed safe-mode push's request line and headers, sent; its body is left for the caller to dribble. */
async function slowPush(port: number, n: number): Promise<{ client: RawClient; body: string }> {
  const push = buildPush({ appid: ACCOUNT.appid, token: ACCOUNT.token, encodingAESKey: ACCOUNT.aesKey }, textMessage({ openid: `oslowclient${String(n).padStart(17, '0')}`, content: `slow ${n}`, msgId: `${Date.now()}${n}` }), { mode: 'aes' });
  const client = await rawClient(port);
  client.socket.write(`POST ${push.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: text/xml\r\nContent-Length: ${Buffer.byteLength(push.body)}\r\n\r\n`);
  return { client, body: push.body };
}

export const slowClient: FaultCase = {
  name: NAME,
  title: TITLE,
  async run({ durationS, rate, workDir, log }: FaultCaseOptions): Promise<FaultCaseResult[]> {
    const stack = await startStack({ workDir, serves: 1, workers: 2, env: { WXGATE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) }, log });
    const timers: NodeJS.Timeout[] = [];
    const slow: RawClient[] = [];
    try {
      const serve = stack.serves[0]!;
      const loading = stack.load({ rate, durationS });
      loading.catch(() => undefined); // awaited below; a fault that throws first must not leave it unhandled
      const t0 = await loadStarted(stack);
      await sleep(Math.max(0, t0 + (durationS * 1000) / 2 - 1000 - Date.now()));
      for (let i = 0; i < DRIBBLING + STALLED; i += 1) {
        const { client, body } = await slowPush(serve.port, i);
        slow.push(client);
        if (i >= DRIBBLING) continue; // headers and nothing more
        let sent = 0;
        const timer = setInterval(() => {
          if (client.isClosed() || sent >= body.length) return clearInterval(timer);
          client.socket.write(body[sent]!);
          sent += 1;
        }, 1000);
        timers.push(timer);
      }
      await sleep(1000);
      const signalAt = Date.now();
      const closedAt: (number | undefined)[] = slow.map(() => undefined);
      slow.forEach((c, i) => void c.closed.then(() => (closedAt[i] = Date.now() - signalAt)));
      const openAtSignal = slow.filter((c) => !c.isClosed()).length;
      const exit = await signalAndTime(serve.child, 'SIGTERM', SHUTDOWN_TIMEOUT_MS + 30_000);
      const goneAt = Date.now();
      log(`SIGTERM to serve ${serve.child.pid} at ${((signalAt - t0) / 1000).toFixed(1)} s with ${openAtSignal} slow connections open: ${exit ? `gone after ${exit.exitMs} ms, code ${exit.code}` : 'not gone: killed'}`);
      await stack.startServe(serve.port);
      const backAt = Date.now();
      log(`a second serve on ${serve.port} ${backAt - goneAt} ms after`);
      await sleep(200); // the slow sockets' close events
      const results = await loading;
      const drainMs = await stack.drain(results);
      await sleep(2000); // a second reply would come within this
      const record = stack.record(results);
      const deliveries = results.flatMap((m) => m.deliveries);
      const refused: Record<string, number> = {};
      for (const d of deliveries.filter((x) => x.at >= signalAt && !isSuccess(x))) refused[d.error ?? String(answerOf(d))] = (refused[d.error ?? String(answerOf(d))] ?? 0) + 1;
      const neverAcked = results.filter((r) => r.ackedOn === 0).length;
      const ackedLater = results.filter((r) => r.ackedOn > 1).length;
      const cut = stack.lines().filter((l) => l.msg === 'connections still open at the shutdown deadline: closed');
      const slowClosed = closedAt.filter((t): t is number => t !== undefined);
      const slowTarget: FaultTarget = {
        name: 'slow clients cut',
        met: openAtSignal === slow.length && slowClosed.length === slow.length && exit !== undefined && slowClosed.every((t) => t <= exit.exitMs + 100),
        detail: `${slowClosed.length} of ${slow.length} slow connections (${openAtSignal} open at the SIGTERM) closed by the serve, ${slowClosed.length > 0 ? `${Math.min(...slowClosed)}–${Math.max(...slowClosed)} ms after the SIGTERM` : 'none'}`,
      };
      const answers = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';
      const notes = [
        `WXGATE_SHUTDOWN_TIMEOUT_MS=${SHUTDOWN_TIMEOUT_MS} for this case (below the 10 s request timeout and the 5 s idle timeout, so that only the shutdown deadline can end the slow connections, and the case stays short)`,
        `${DRIBBLING} connections sending a push's body a byte a second and ${STALLED} sending nothing after its headers, from 1 s before the SIGTERM; the serve was gone ${exit ? `${exit.exitMs} ms after it (exit code ${exit.code})` : 'only when killed'}; it logged ${cut.length > 0 ? `${cut.map((l) => String(l.connections)).join('+')} connections closed at the deadline` : 'no connection closed at the deadline'}; ${slowTarget.detail}`,
        `deliveries after the SIGTERM not answered success (refused or reset while the serve stopped and before the second one listened, ${backAt - goneAt} ms after the exit): ${answers(refused)}; ${ackedLater} messages acknowledged on WeChat's 2nd or 3rd delivery, ${neverAcked} never acknowledged`,
      ];
      return [caseResult({ name: NAME, title: TITLE, record, drainMs, exitMs: exit?.exitMs, targets: [exitTarget(exit?.exitMs, SHUTDOWN_TIMEOUT_MS), slowTarget], notes })];
    } finally {
      for (const t of timers) clearInterval(t);
      for (const c of slow) c.socket.destroy();
      await stack.stop();
    }
  },
};
