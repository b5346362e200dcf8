import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.js';
import { createReceiveMetrics } from '../../src/receiver/receive-metrics.js';

describe('createReceiveMetrics', () => {
  it('counts each outcome under its own labels and times each step', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const receive = createReceiveMetrics(metrics);
    receive.acked('wxA', 'plain', 'acked', { verify: 0.1, parse: 0.2, enqueue: 1 }, 2);
    receive.acked('wxA', 'plain', 'acked', { verify: 0.1, parse: 0.2, enqueue: 1 }, 2);
    receive.acked('wxB', 'aes', 'spooled', { verify: 0.1, decrypt: 0.1, parse: 0.2, spool: 3 }, 4);
    receive.rejected('wxA', 'signature_mismatch');
    receive.rejected('wxA', 'nonce_replayed');
    receive.verified('wxB');
    const text = await metrics.registry.metrics();
    expect(text).toContain('wxgate_pushes_total{appid="wxA",outcome="acked",reason=""} 2');
    expect(text).toContain('wxgate_pushes_total{appid="wxB",outcome="spooled",reason=""} 1');
    expect(text).toContain('wxgate_pushes_total{appid="wxA",outcome="rejected",reason="signature_mismatch"} 1');
    expect(text).toContain('wxgate_pushes_total{appid="wxA",outcome="rejected",reason="nonce_replayed"} 1');
    expect(text).toContain('wxgate_pushes_total{appid="wxB",outcome="verified",reason=""} 1');
    expect(text).toContain('wxgate_ack_seconds_count{mode="plain"} 2');
    expect(text).toContain('wxgate_ack_seconds_count{mode="aes"} 1');
    expect(text).toContain('wxgate_receive_step_seconds_count{step="verify"} 3');
    expect(text).toContain('wxgate_receive_step_seconds_count{step="spool"} 1');
  });
});
