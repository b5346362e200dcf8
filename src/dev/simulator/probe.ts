// A heartbeat for cron and monitoring: one signed synthetic text push, delivered once (a probe
// does not retry: one failure is the news), answered `success` within the timeout or not.
// Its sender is the fixed synthetic openid below, so handlers and log searches can tell it apart.
import { PROBE_OPENID } from '../../probe-openid.js';
import type { DeliveryResult } from './deliver.js';
import { describePassive } from './read-passive.js';
import { simulate } from './simulate.js';
import { ALERT_WORDS } from './summarize.js';
import type { SimulateOptions } from './types.js';

export { PROBE_OPENID };

export type ProbeOptions = Pick<SimulateOptions, 'url' | 'appid' | 'token' | 'aesKey' | 'mode' | 'timeoutMs' | 'connectTimeoutMs' | 'toUser'>;

/** `reply`: the passive reply, as WeChat would read it (reply modes passive and auto). */
export type ProbeResult = { ok: true; ms: number; reply?: string } | { ok: false; reason: string };

const WHY: Record<string, (d: DeliveryResult, o: ProbeOptions) => string> = {
  request_timeout: (_d, o) => `no answer within ${o.timeoutMs ?? 5000} ms`,
  connection_timeout: (d, o) => (d.error === 'ETIMEDOUT' ? `not connected within ${o.connectTimeoutMs ?? 3000} ms` : `could not connect: ${d.error}`),
  response_failure: (d) => (d.error ? `connection broke: ${d.error}` : `HTTP ${d.status} ${JSON.stringify(d.answer ?? '')}`),
};

export async function probe(options: ProbeOptions): Promise<ProbeResult> {
  let delivery: DeliveryResult | undefined;
  await simulate({
    ...options,
    kinds: ['text'],
    content: 'wxgate probe',
    openid: PROBE_OPENID,
    count: 1,
    maxDeliveries: 1,
    onMessage: (r) => {
      delivery = r.deliveries[0];
    },
  });
  const d = delivery!;
  if (d.outcome === 'ack') return { ok: true, ms: Math.round(d.ms) };
  if (d.outcome === 'passive') {
    if (d.passive && !d.passive.ok) return { ok: false, reason: `passive reply ${describePassive(d.passive)}` };
    return { ok: true, ms: Math.round(d.ms), ...(d.passive && { reply: describePassive(d.passive) }) };
  }
  return { ok: false, reason: `${ALERT_WORDS[d.outcome]} (${WHY[d.outcome]!(d, options)})` };
}
