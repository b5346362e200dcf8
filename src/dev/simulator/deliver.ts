// One delivery of one push, timed the way WeChat times it: 3 s to connect (else 连接超时),
// 5 s for the whole answer (else 请求超时: WeChat drops the connection), and an answer that is
// not `success`, empty or a passive reply is 回应失败 — as is a connection that breaks mid-answer
// ("或者发生网络错误"). Guide: https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Warning_Message_Troubleshooting_Guide.html
import { request, type Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { BuiltPush } from '../pushes.js';
import { classifyAnswer } from './classify-answer.js';
import type { PassiveReading } from './read-passive.js';

export type DeliveryOutcome = 'ack' | 'passive' | 'request_timeout' | 'response_failure' | 'connection_timeout';

export interface DeliveryResult {
  readonly outcome: DeliveryOutcome;
  /** Epoch ms when it was sent. */
  readonly at: number;
  /** From sending to the whole answer, or to giving up. */
  readonly ms: number;
  readonly status?: number;
  /** The answer as received (its first 200 characters), for 回应失败 samples as WeChat gives them. */
  readonly answer?: string;
  readonly answerLength?: number;
  /** A passive reply's whole body (up to 64 KiB), to be read as WeChat would (read-passive.ts). */
  readonly passiveBody?: string;
  /** What the simulator made of the passive reply. */
  readonly passive?: PassiveReading;
  /** The network error code (ECONNREFUSED, ECONNRESET …), when there was one. */
  readonly error?: string;
}

export interface DeliverOptions {
  agent: Agent;
  timeoutMs: number;
  connectTimeoutMs: number;
}

const KEEP = 64 * 1024;

export function deliver(target: URL, push: BuiltPush, { agent, timeoutMs, connectTimeoutMs }: DeliverOptions): Promise<DeliveryResult> {
  return new Promise((resolve) => {
    const at = Date.now();
    const started = performance.now();
    let settled = false;
    let connected = false;
    let connectTimer: NodeJS.Timeout | undefined;
    const finish = (r: Omit<DeliveryResult, 'ms' | 'at'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(totalTimer);
      clearTimeout(connectTimer);
      resolve({ ...r, at, ms: Math.round((performance.now() - started) * 10) / 10 });
    };
    const body = Buffer.from(push.body);
    const req = request(
      {
        host: target.hostname,
        port: target.port || 80,
        method: 'POST',
        path: push.path,
        agent,
        headers: { 'content-type': 'text/xml', 'content-length': body.length, 'user-agent': 'Mozilla/4.0 (wxgate simulate)' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < KEEP) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const verdict = classifyAnswer(res.statusCode ?? 0, text);
          const outcome = verdict === 'invalid' ? 'response_failure' : verdict;
          finish({ outcome, status: res.statusCode, answerLength: size, ...(outcome === 'response_failure' ? { answer: text.slice(0, 200) } : {}), ...(outcome === 'passive' ? { passiveBody: text } : {}) });
        });
        res.on('error', (err: NodeJS.ErrnoException) => finish({ outcome: 'response_failure', status: res.statusCode, error: err.code ?? err.message }));
        res.on('aborted', () => finish({ outcome: 'response_failure', status: res.statusCode, error: 'ECONNRESET' }));
      },
    );
    req.on('socket', (socket) => {
      if (!socket.connecting) {
        connected = true;
        return;
      }
      connectTimer = setTimeout(() => {
        finish({ outcome: 'connection_timeout', error: 'ETIMEDOUT' });
        req.destroy();
      }, connectTimeoutMs);
      socket.once('connect', () => {
        connected = true;
        clearTimeout(connectTimer);
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish({ outcome: connected ? 'response_failure' : 'connection_timeout', error: err.code ?? err.message }));
    const totalTimer = setTimeout(() => {
      finish({ outcome: 'request_timeout' });
      req.destroy(); // WeChat "断掉连接" after 5 s
    }, timeoutMs);
    req.end(body);
  });
}
