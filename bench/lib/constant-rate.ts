// An open-loop load at a constant rate: request i is due at start + i / rate, whatever the
// answers before it did. autocannon's `overallRate` is not that: each connection sends its
// share of the second back to back and then waits for the next second (autocannon
// lib/httpClient.js, `reqsMadeThisSecond`), so "2,000 req/s" is a 2,000-request burst every
// second and its latency is that of a saturated server. Latency here runs from the moment a
// request was due, not from when it went out, so a stall on either side is not hidden
// (coordinated omission): a request due while every connection is busy waits in the loader,
// and that wait counts.
//
// The client is a few lines over raw sockets, not node:http, because on 2 shared cores the
// load generator's CPU is taken from the server it measures: node:http's client cost 180–190 µs
// per request at 2,000/s on a 2-core AMD EPYC (2026-11-29), this one ~80–110 µs (bench/README.md).
// Like nginx in front of the receivers (nginx/nginx.conf: `keepalive 64`), it keeps a fixed set
// of connections open from the start, and the first `warmupS` seconds at the rate are not
// counted: opening connections while requests are already due measured the loader's start-up,
// not the server (an 0.8–1.5 s latency spike at the start of every run there).
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BuiltPush } from '../../src/dev/pushes.js';
import type { LoadResult } from './load.js';
import { createResponseReader } from './response-reader.js';

export interface ConstantRateOptions {
  rate: number;
  /** The measured part; the warm-up comes before it. */
  durationS: number;
  warmupS?: number;
  connections?: number;
}

interface Connection {
  readonly socket: Socket;
  /** When the request now on this connection was due (ms, performance.now()). */
  dueAt: number;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function requestFrame(push: BuiltPush, host: string): Buffer {
  const body = Buffer.from(push.body);
  const head = `POST ${push.path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: text/xml\r\nContent-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

export async function runConstantRate(target: string, pool: readonly BuiltPush[], { rate, durationS, warmupS = 1, connections = 64 }: ConstantRateOptions): Promise<LoadResult> {
  const url = new URL(target);
  const frames = pool.map((push) => requestFrame(push, url.host));
  const warmup = Math.round(rate * warmupS);
  const total = warmup + Math.round(rate * durationS);
  if (pool.length < total) throw new Error(`the pool has ${pool.length} pushes for ${total} requests: every request must be a new push`);
  const latencies = new Float64Array(total - warmup);
  const statuses: Record<string, number> = {};
  let counted = 0;
  let answered = 0;
  let answered2xx = 0;
  let errors = 0;
  let sent = 0;
  let measuredFrom = Infinity; // set when the load starts: the first `warmup` requests are not counted
  const idle: Connection[] = [];
  const backlog: number[] = []; // due times of requests waiting for a free connection

  const send = (conn: Connection, dueAt: number) => {
    conn.dueAt = dueAt;
    conn.socket.write(frames[sent++]!);
  };
  const answer = (conn: Connection, status: number) => {
    answered++;
    if (status >= 200 && status < 300) answered2xx++;
    if (conn.dueAt >= measuredFrom) {
      latencies[counted++] = performance.now() - conn.dueAt;
      if (status < 200 || status >= 300) statuses[status] = (statuses[status] ?? 0) + 1;
    }
    const next = backlog.shift();
    if (next === undefined) idle.push(conn);
    else send(conn, next);
  };

  const open: Socket[] = [];
  for (let i = 0; i < connections; i++) {
    const socket = connect(Number(url.port), url.hostname);
    socket.setNoDelay(true);
    await once(socket, 'connect');
    const conn: Connection = { socket, dueAt: 0 };
    socket.on('data', createResponseReader((status) => answer(conn, status)));
    // A connection lost mid-request (not idle) loses that request: an error, not retried.
    socket.on('close', () => {
      const at = idle.indexOf(conn);
      if (at >= 0) idle.splice(at, 1);
      else {
        errors++;
        answered++;
      }
    });
    socket.on('error', () => undefined); // 'close' follows and counts it
    open.push(socket);
    idle.push(conn);
  }

  const start = performance.now();
  measuredFrom = start + (warmup * 1000) / rate;
  for (let due = 0; due < total; ) {
    const dueNow = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; due < dueNow; due++) {
      const dueAt = start + (due * 1000) / rate;
      const conn = idle.pop();
      if (conn) send(conn, dueAt);
      else backlog.push(dueAt);
    }
    await sleep(1);
  }
  // Whatever is unanswered 30 s after the last was due counts as an error.
  const giveUpAt = performance.now() + 30_000;
  while (answered < total && performance.now() < giveUpAt && open.some((s) => !s.destroyed)) await sleep(5);
  const elapsedS = (performance.now() - measuredFrom) / 1000;
  for (const socket of open) socket.destroy();
  errors += total - answered;
  const measured = latencies.subarray(0, counted).sort();
  const ms = (x: number) => Math.round(x * 10) / 10;
  const non2xx = Object.values(statuses).reduce((a, b) => a + b, 0);
  return { requests: counted, answered: answered2xx, rps: Math.round(counted / elapsedS), p50: ms(quantile(measured, 0.5)), p99: ms(quantile(measured, 0.99)), non2xx, statuses, errors };
}
