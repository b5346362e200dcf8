// The summary for a person: counts first, then what WeChat would have alerted, in its words and
// with the first sample as its alerts show it (so `wxgate alert` can read the lines, too).
import { describePassive } from './read-passive.js';
import type { SimulationSummary } from './types.js';

const pct = (n: number, of: number) => (of === 0 ? '0%' : `${Math.round((n / of) * 1000) / 10}%`);

export function renderSummary(s: SimulationSummary): string {
  const { first, afterRetry, never } = s.acknowledged;
  const lines = [
    `wxgate simulate → ${s.url}  (${s.mode}, ${s.kinds.join('/')})`,
    `messages     ${s.messages}${s.notSent > 0 ? ` (${s.notSent} not sent: time limit)` : ''} in ${s.durationMs} ms, ${s.messagesPerSecond}/s`,
    `acknowledged first time ${first} (${pct(first, s.messages)}), after a retry ${afterRetry}, never ${never}${never > 0 ? ' — the user saw 该公众号暂时无法提供服务' : ''}`,
    `deliveries   ${s.deliveries} (${s.deliveries - s.messages} retries)${s.passiveReplies > 0 ? `, ${s.passiveReplies} answered with a passive reply` : ''}`,
    ...(s.firstPassive ? [`passive reply ${describePassive(s.firstPassive)}${s.passiveRefused > 0 ? `; ${s.passiveRefused} of ${s.passiveReplies} WeChat would refuse` : ''}`] : []),
    s.latencyMs ? `latency      p50 ${s.latencyMs.p50} ms  p99 ${s.latencyMs.p99} ms  max ${s.latencyMs.max} ms (answered deliveries)` : 'latency      no delivery was answered',
  ];
  const raised = s.alerts.filter((a) => a.count > 0);
  if (raised.length === 0) {
    lines.push('WeChat alerts: none');
  } else {
    lines.push('WeChat would alert:');
    for (const a of raised) {
      lines.push(`  ${a.keyword}  ${a.count} deliveries, ${a.messages} messages`);
      if (a.first) lines.push(`    时间: ${a.first.at}`, `    错误样例: ${a.first.sample}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
