// One line per change of an account's token state, the gauge and the waits counter.
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.js';
import { createTokenAvailability } from '../../src/wechat-api/token-availability.js';
import { toApiError } from '../../src/wechat-api/errcodes.js';
import { toTokenUnavailable } from '../../src/wechat-api/token-unavailable.js';
import { captureLogs } from '../helpers/log-capture.js';

const APPID = 'wxavail0000001';
const down40164 = () => toTokenUnavailable(toApiError(40164, 'invalid ip', '/cgi-bin/stable_token'), APPID)!;

async function value(metrics: ReturnType<typeof createMetrics>, name: string) {
  return (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name)?.values.find((v) => v.labels.appid === APPID)?.value;
}

describe('token availability', () => {
  it('starts unknown; many failures make one error line, the return one warning', async () => {
    const logs = captureLogs();
    const metrics = createMetrics({ processMetrics: false });
    const a = createTokenAvailability({ logger: logs.logger, metrics }, { appids: [APPID] });
    expect(a.view(APPID)).toMatchObject({ state: 'unknown', since: null, waits: 0 });
    expect(await value(metrics, 'wxgate_token_available')).toBeUndefined();

    for (let i = 0; i < 30; i++) {
      a.down(down40164());
      a.waited(APPID);
    }
    expect(a.view(APPID)).toMatchObject({ state: 'unavailable', reason: 'wechat_40164', errcode: 40164, waits: 30 });
    expect(await value(metrics, 'wxgate_token_available')).toBe(0);
    expect(await value(metrics, 'wxgate_token_waits_total')).toBe(30);

    for (let i = 0; i < 5; i++) a.up(APPID);
    expect(a.view(APPID)).toMatchObject({ state: 'available', waits: 30 });
    expect(a.view(APPID).errcode).toBeUndefined();
    expect(await value(metrics, 'wxgate_token_available')).toBe(1);

    const lines = logs.lines.filter((l) => l.layer === 'token');
    expect(lines.map((l) => [l.state, l.level])).toEqual([
      ['unavailable', 50],
      ['available', 40],
    ]);
    expect(lines[0]).toMatchObject({ appid: APPID, was: 'unknown', code: 'wechat_40164', errcode: 40164 });
    expect(String(lines[0]!.msg)).toContain('IP白名单');
    expect(lines[1]).toMatchObject({ appid: APPID, was: 'unavailable', waits: 30 });
    expect(typeof lines[1]!.downMs).toBe('number');
    expect(a.all()).toMatchObject({ [APPID]: { state: 'available' } });
  });

  it('a quiet start: unknown → available writes nothing', () => {
    const logs = captureLogs();
    const a = createTokenAvailability({ logger: logs.logger });
    a.up(APPID);
    expect(a.view(APPID).state).toBe('available');
    expect(logs.lines).toHaveLength(0);
  });
});
