// `wxgate alert --html FILE` in a real browser (Debian's chromium via playwright-core): the page
// loads without the network, and its chart shows the same per-minute counts as `--json`.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/alert.js';
import { launchChromium } from '../helpers/browser.js';
import { runCli } from './cli-io.js';
import { incidentAlertPath, incidentLogs } from './incidents.js';

const dir = mkdtempSync(join(tmpdir(), 'wxgate-alert-html-'));
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Bar {
  minute: number;
  cause: string;
  count: number;
  height: number;
}

describe('wxgate alert --html', { timeout: 60_000 }, () => {
  it('draws the per-minute chart by cause from the same data as --json (receiver-stopped)', async () => {
    const page = join(dir, 'report.html');
    const args = ['--alert', incidentAlertPath('receiver-stopped', 'response-failure.txt'), ...incidentLogs('receiver-stopped')];
    const html = await runCli(run, ['--html', page, ...args]);
    expect(html.code).toBe(0);
    const json = JSON.parse((await runCli(run, ['--json', ...args])).stdout);

    const tab = await browser.newPage();
    const requests: string[] = [];
    tab.on('request', (req) => requests.push(req.url()));
    await tab.goto(pathToFileURL(page).href);
    const bars: Bar[] = await tab.$$eval('#shape rect.bar', (rects) =>
      rects.map((r) => ({ minute: Number(r.getAttribute('data-minute')), cause: r.getAttribute('data-cause')!, count: Number(r.getAttribute('data-count')), height: (r as SVGRectElement).getBBox().height })),
    );
    const shot = join(dir, 'report.png');
    await tab.screenshot({ path: shot, fullPage: true });
    const verdict = await tab.textContent('#verdict b');
    await tab.close();

    // Self-contained: the page asked for nothing but itself.
    expect(requests).toEqual([pathToFileURL(page).href]);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(verdict).toBe(json.analysis.verdict.layer);

    const expected = (json.analysis.shape.minutes as { minute: number; counts: Record<string, number> }[]).flatMap((m) => Object.entries(m.counts).map(([cause, count]) => ({ minute: m.minute, cause, count })));
    const drawn = bars.map(({ minute, cause, count }) => ({ minute, cause, count }));
    const key = (b: { minute: number; cause: string }): string => `${b.minute}|${b.cause}`;
    expect([...drawn].sort((x, y) => key(x).localeCompare(key(y)))).toEqual([...expected].sort((x, y) => key(x).localeCompare(key(y))));
    expect(expected.some((b) => b.cause === 'access: upstream unreachable')).toBe(true);
    // Heights follow the counts: the same count per pixel for every bar.
    const perCount = bars.map((b) => b.height / b.count);
    for (const p of perCount) expect(p).toBeCloseTo(perCount[0]!, 1);
  });
});
