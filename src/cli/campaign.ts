// `wxgate campaign send|status|failures`: the message centre from the command line, through
// the internal API of a running wxgate (its URL and WXGATE_INTERNAL_TOKEN), so the CLI needs no
// database or Redis of its own. `send` streams the recipient file as the request body.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import type { CampaignStatus } from '../campaigns/campaign-service.js';
import { renderProgress } from '../campaigns/progress-bar.js';

const USAGE = `usage: wxgate campaign send --template T --recipients FILE [--appid X] [--url URL] [--data JSON] [--link URL] [--key K] [--wait]
       wxgate campaign status ID [--appid X] [--url URL] [--json]
       wxgate campaign failures ID [--appid X] [--url URL] [--csv]

send      queue a campaign: FILE is .csv (openid,<data keys>…), .ndjson or .json; prints the campaign id,
          then a progress bar until it finishes (in a terminal, or with --wait)
status    counts by status, sends per second, ETA
failures  the recipients that failed or were blocked, with errcode and errmsg (--csv: as CSV)

--url is a running wxgate (default http://127.0.0.1:$PORT); WXGATE_INTERNAL_TOKEN is its bearer token.
--key is the Idempotency-Key: the same key again is the same campaign, nothing sent twice
(with the same --template, --data and --link; other settings under a used key are refused).
`;

const TYPES: Record<string, string> = { csv: 'text/csv', ndjson: 'application/x-ndjson', jsonl: 'application/x-ndjson', json: 'application/json' };

interface Ctx {
  base: string;
  token: string;
}

async function api(c: Ctx, path: string, init: RequestInit & { duplex?: 'half' } = {}): Promise<Response> {
  const res = await fetch(`${c.base}${path}`, { ...init, headers: { authorization: `Bearer ${c.token}`, ...(init.headers as Record<string, string>) } });
  if (res.status >= 400) {
    const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string; campaign_id?: string; queued?: number };
    // A list refused part-way: the campaign exists and sends what was queued (docs/message-centre.md).
    const created = body.campaign_id ? `; campaign ${body.campaign_id} was created with ${body.queued ?? 0} recipients queued, which it sends: wxgate campaign status ${body.campaign_id}` : '';
    throw new CliError(`${res.status} ${body.error ?? ''}: ${body.message ?? res.statusText}${created}`);
  }
  return res;
}

class CliError extends Error {}

async function watch(c: Ctx, id: string, tty: boolean): Promise<CampaignStatus> {
  for (;;) {
    const s = (await (await api(c, `/campaigns/${id}`)).json()) as CampaignStatus;
    if (tty) process.stdout.write(`\r\x1b[2K${renderProgress(s)}`);
    if (s.state === 'finished' || s.state === 'cancelled') {
      if (tty) process.stdout.write('\n');
      return s;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

function summary(s: CampaignStatus): string {
  const k = s.counts;
  return `${s.campaign_id}  ${s.state}  recipients ${s.recipients}  queued ${k.queued}  sent ${k.sent}  delivered ${k.delivered}  blocked ${k.blocked}  failed ${k.failed}  cancelled ${k.cancelled}  (${s.sends_per_second}/s${s.eta_s !== null ? `, ETA ${s.eta_s}s` : ''})\n`;
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        appid: { type: 'string' },
        url: { type: 'string' },
        template: { type: 'string' },
        recipients: { type: 'string' },
        data: { type: 'string' },
        link: { type: 'string' },
        key: { type: 'string' },
        wait: { type: 'boolean' },
        json: { type: 'boolean' },
        csv: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`wxgate campaign: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [command, id] = positionals;
  if (v.help || command === undefined) {
    process.stdout.write(USAGE);
    return v.help ? 0 : 2;
  }
  const config = loadConfig(process.env, { requireApps: false });
  if (!config.internalToken) throw new ConfigError('WXGATE_INTERNAL_TOKEN is not set: set it to the bearer token of the wxgate you talk to.');
  const appid = v.appid ?? config.defaultAppid;
  if (!appid) throw new ConfigError('no account: give --appid or set WECHAT_APPID.');
  const c: Ctx = { base: `${(v.url ?? `http://127.0.0.1:${config.port}`).replace(/\/+$/, '')}/internal/v1/apps/${encodeURIComponent(appid)}`, token: config.internalToken };
  const tty = process.stdout.isTTY === true;
  try {
    if (command === 'send') {
      if (!v.template || !v.recipients) throw new CliError('send needs --template and --recipients');
      const ext = v.recipients.split('.').pop()!.toLowerCase();
      const type = TYPES[ext];
      if (!type) throw new CliError(`--recipients ${v.recipients}: name a .csv, .ndjson or .json file`);
      await stat(v.recipients);
      const q = new URLSearchParams({ template_id: v.template, ...(v.data ? { data: v.data } : {}), ...(v.link ? { url: v.link } : {}) });
      const started = performance.now();
      const res = await api(c, `/campaigns?${q}`, {
        method: 'POST',
        body: Readable.toWeb(createReadStream(v.recipients)) as ReadableStream,
        duplex: 'half',
        headers: { 'content-type': type, ...(v.key ? { 'idempotency-key': v.key } : {}) },
      });
      const r = (await res.json()) as { campaign_id: string; recipients: number; queued: number };
      process.stdout.write(`campaign ${r.campaign_id}: ${r.recipients} recipients, ${r.queued} queued in ${Math.round(performance.now() - started)} ms\n`);
      if (tty || v.wait) process.stdout.write(summary(await watch(c, r.campaign_id, tty)));
      return 0;
    }
    if (!id) throw new CliError(`${command} needs a campaign id`);
    if (command === 'status') {
      const s = (await (await api(c, `/campaigns/${id}`)).json()) as CampaignStatus;
      process.stdout.write(v.json ? `${JSON.stringify(s, null, 2)}\n` : summary(s));
      return 0;
    }
    if (command === 'failures') {
      for (const status of ['failed', 'blocked']) {
        if (v.csv) {
          const res = await api(c, `/campaigns/${id}/recipients?status=${status}&format=csv`);
          const text = await res.text();
          process.stdout.write(status === 'failed' ? text : text.slice(text.indexOf('\n') + 1));
          continue;
        }
        let after: string | null = null;
        do {
          const page = (await (await api(c, `/campaigns/${id}/recipients?status=${status}&limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`)).json()) as { recipients: { openid: string; status: string; errcode: number | null; errmsg: string | null }[]; next: string | null };
          for (const r of page.recipients) process.stdout.write(`${r.openid}  ${r.status}  errcode ${r.errcode ?? '-'}  ${r.errmsg ?? ''}\n`);
          after = page.next;
        } while (after !== null);
      }
      return 0;
    }
    throw new CliError(`unknown command ${command}`);
  } catch (err) {
    if (!(err instanceof CliError) && !(err instanceof TypeError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    process.stderr.write(`wxgate campaign: ${(err as Error).message}\n`);
    return 1;
  }
}
