// One line of campaign progress for a terminal (`wxgate campaign send` redraws it with \r).
import type { CampaignStatus } from './campaign-service.js';

const n = (x: number) => x.toLocaleString('en-US');

export function renderProgress(s: Pick<CampaignStatus, 'state' | 'recipients' | 'counts' | 'sent_total' | 'sends_per_second' | 'eta_s' | 'pause_reason' | 'paused_until'>, width = 30): string {
  const total = Math.max(1, s.recipients);
  const done = total - s.counts.queued;
  const filled = Math.min(width, Math.round((done / total) * width));
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const pct = `${Math.floor((done / total) * 100)}%`.padStart(4);
  const parts = [
    `${bar} ${pct} ${n(done)}/${n(s.recipients)}`,
    `sent ${n(s.sent_total)}`,
    `delivered ${n(s.counts.delivered)}`,
    ...(s.counts.failed + s.counts.blocked > 0 ? [`failed ${n(s.counts.failed)}`, `blocked ${n(s.counts.blocked)}`] : []),
    ...(s.counts.cancelled > 0 ? [`cancelled ${n(s.counts.cancelled)}`] : []),
    `${n(s.sends_per_second)}/s`,
    s.state === 'paused' ? `paused (${s.pause_reason ?? 'manual'}${s.paused_until ? ` until ${s.paused_until}` : ''})` : s.eta_s !== null ? `ETA ${s.eta_s}s` : s.state,
  ];
  return parts.join('  ');
}
