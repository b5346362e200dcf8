// `wxgate campaign send|status|failures` as a user runs it, against a running gateway.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderProgress } from '../../src/campaigns/progress-bar.js';
import { openids, startCampaignHarness, type CampaignHarness } from '../fixtures/campaigns/harness.js';

const run = promisify(execFile);
let h: CampaignHarness;
let dir: string;

beforeAll(async () => {
  h = await startCampaignHarness({ templates: { unfollowed: ['oCliGone00000000000000001'] } });
  dir = await mkdtemp(join(tmpdir(), 'wxgate-cli-'));
});
afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

const env = () => ({ ...process.env, ...h.env, LOG_LEVEL: 'silent' });
const cli = (args: string[]) => run('node', ['bin/wxgate.js', 'campaign', ...args, '--url', h.url], { env: env(), timeout: 60_000 });

describe('wxgate campaign', () => {
  it('send --wait queues a CSV file and follows it; status and failures --csv read it back', async () => {
    const file = join(dir, 'list.csv');
    await writeFile(file, ['openid,first', ...openids(20, 'cli').map((u) => `${u},hello`), 'oCliGone00000000000000001,x'].join('\n'));
    const sent = await cli(['send', '--template', 'TPL_CLI', '--recipients', file, '--wait', '--key', 'cli-1']);
    const id = /campaign (c\S+): 21 recipients, 21 queued/.exec(sent.stdout)?.[1];
    expect(id).toBeDefined();
    expect(sent.stdout).toMatch(/finished/);
    const status = await cli(['status', id!, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ campaign_id: id, recipients: 21, counts: { failed: 1, queued: 0 } });
    const failures = await cli(['failures', id!, '--csv']);
    expect(failures.stdout.trim().split('\n')).toEqual(['openid,status,errcode,errmsg,msgid,attempts,sent_at', expect.stringMatching(/^oCliGone00000000000000001,failed,43004,/)]);
    // The same key again: the same campaign, nothing queued twice.
    const again = await cli(['send', '--template', 'TPL_CLI', '--recipients', file, '--key', 'cli-1']);
    expect(again.stdout).toContain(`campaign ${id}: 21 recipients, 0 queued`);
    expect(h.mock.state.templates.stats().accepted).toBe(20);
  });

  it('in a terminal, send draws a progress bar until the campaign finishes', async () => {
    const file = join(dir, 'tty.ndjson');
    await writeFile(file, openids(10, 'tty').map((u) => JSON.stringify({ touser: u })).join('\n'));
    const cmd = `node bin/wxgate.js campaign send --template TPL_TTY --recipients ${file} --url ${h.url}`;
    // script(1) gives the command a pseudo-terminal, as a user's shell would.
    const { stdout } = await run('script', ['-qec', cmd, '/dev/null'], { env: env(), timeout: 60_000 });
    expect(stdout).toMatch(/\r\x1b\[2K\[#+-*\] +\d+% \d+\/10/);
    expect(stdout).toMatch(/\[#{30}\] 100% 10\/10/);
  });

  it('a list refused part-way names the campaign it created and what it queued', async () => {
    const file = join(dir, 'cut.csv');
    await writeFile(file, ['openid,first', ...openids(1001, 'cut').map((u) => `${u},hello`), 'not an openid,x'].join('\n'));
    const refused = await cli(['send', '--template', 'TPL_CUT', '--recipients', file]).then(() => undefined, (err: { code: number; stderr: string }) => err);
    expect(refused?.code).toBe(1);
    const id = /campaign (c\S+) was created with 1000 recipients queued/.exec(refused!.stderr)?.[1];
    expect(id).toBeDefined();
    expect(refused!.stderr).toContain(`wxgate campaign status ${id}`);
  });

  it('errors name what is wrong: exit 1 for a refused call, 78 without the bearer token', async () => {
    await expect(cli(['status', 'cnothere'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('404') });
    await expect(run('node', ['bin/wxgate.js', 'campaign', 'status', 'cx'], { env: { ...env(), WXGATE_INTERNAL_TOKEN: '' } })).rejects.toMatchObject({ code: 78, stderr: expect.stringContaining('WXGATE_INTERNAL_TOKEN') });
  });
});

describe('the progress bar', () => {
  it('shows done/total, sent, delivered, rate and ETA on one line', () => {
    const line = renderProgress({ state: 'running', recipients: 100_000, counts: { queued: 55_000, sent: 20_000, delivered: 25_000, blocked: 0, failed: 0, cancelled: 0 }, sent_total: 45_000, sends_per_second: 500, eta_s: 110, pause_reason: null, paused_until: null }, 20);
    expect(line).toBe('[#########-----------]  45% 45,000/100,000  sent 45,000  delivered 25,000  500/s  ETA 110s');
  });
  it('says when and why a campaign is paused', () => {
    const line = renderProgress({ state: 'paused', recipients: 10, counts: { queued: 5, sent: 5, delivered: 0, blocked: 0, failed: 0, cancelled: 0 }, sent_total: 5, sends_per_second: 0, eta_s: null, pause_reason: 'quota', paused_until: '2026-11-22T16:00:00.000Z' }, 10);
    expect(line).toContain('paused (quota until 2026-11-22T16:00:00.000Z)');
  });
});
