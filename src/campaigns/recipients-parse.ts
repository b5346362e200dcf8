// A campaign's body, read as it streams in: a JSON object with a `recipients` array (held in
// memory, so kept to JSON_LIMIT_BYTES), NDJSON (an optional first line with the campaign's
// settings, then one recipient per line) or CSV (a header row: openid, then one column per
// data key, and optionally url). NDJSON and CSV are never held whole: 100,000 recipients are
// read, queued and forgotten a chunk at a time (the HTTP body is paused meanwhile).
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parse as parseCsv } from 'csv-parse';
import { RequestError } from '../errors.js';
import type { TemplateData, TemplatePayload } from './template-jobs.js';

export interface Recipient {
  openid: string;
  data?: TemplateData;
  url?: string;
}

export interface CampaignSettings extends Partial<TemplatePayload> {
  idempotency_key?: string;
}

export type CampaignFormat = 'json' | 'ndjson' | 'csv';

export const JSON_LIMIT_BYTES = 16 * 1024 * 1024;
const LINE_LIMIT_BYTES = 64 * 1024;
const OPENID = /^[A-Za-z0-9_-]{1,64}$/;

const bad = (message: string) => new RequestError('bad_request', message);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function formatOf(contentType: string | undefined): CampaignFormat {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (t === 'text/csv') return 'csv';
  if (t === 'application/x-ndjson' || t === 'application/ndjson' || t === 'application/jsonl') return 'ndjson';
  if (t === 'application/json' || t === '') return 'json';
  throw new RequestError('unsupported_media', `Content-Type ${t} is not a recipient list: use application/json, application/x-ndjson or text/csv`);
}

/** WeChat's data shape ({key: {value, color?}}); a plain string stands for {value}. */
export function templateData(v: unknown, where: string): TemplateData | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw bad(`${where}: data must be an object of {"key": {"value": "…"}}`);
  const out: TemplateData = {};
  for (const [k, item] of Object.entries(v)) {
    if (typeof item === 'string' || typeof item === 'number') out[k] = { value: String(item) };
    else if (isObject(item) && (typeof item.value === 'string' || typeof item.value === 'number')) {
      out[k] = { value: String(item.value), ...(typeof item.color === 'string' ? { color: item.color } : {}) };
    } else throw bad(`${where}: data.${k} must be a string or {"value": "…"}`);
  }
  return out;
}

export function recipientOf(v: unknown, where: string): Recipient {
  if (!isObject(v)) throw bad(`${where}: a recipient must be an object with touser`);
  const openid = v.touser ?? v.openid;
  if (typeof openid !== 'string' || !OPENID.test(openid)) throw bad(`${where}: touser must be an openid (letters, digits, _ and -)`);
  const data = templateData(v.data, where);
  return { openid, ...(data ? { data } : {}), ...(typeof v.url === 'string' ? { url: v.url } : {}) };
}

export function settingsOf(v: Record<string, unknown>, where: string): CampaignSettings {
  const out: CampaignSettings = {};
  if (v.template_id !== undefined) {
    if (typeof v.template_id !== 'string' || v.template_id === '') throw bad(`${where}: template_id must be a non-empty string`);
    out.template_id = v.template_id;
  }
  if (typeof v.url === 'string') out.url = v.url;
  if (v.miniprogram !== undefined) {
    if (!isObject(v.miniprogram) || typeof v.miniprogram.appid !== 'string') throw bad(`${where}: miniprogram must be {"appid": "…", "pagepath": "…"}`);
    out.miniprogram = { appid: v.miniprogram.appid, ...(typeof v.miniprogram.pagepath === 'string' ? { pagepath: v.miniprogram.pagepath } : {}) };
  }
  const data = templateData(v.data, where);
  if (data) out.data = data;
  if (typeof v.idempotency_key === 'string' && v.idempotency_key !== '') out.idempotency_key = v.idempotency_key;
  return out;
}

async function* lines(body: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  // A chunk may end inside a character (订 is 3 bytes): the decoder keeps its first bytes for
  // the next chunk instead of turning each half into U+FFFD.
  const utf8 = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of body) {
    rest += typeof chunk === 'string' ? chunk : utf8.write(chunk);
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, i);
      rest = rest.slice(i + 1);
    }
    if (rest.length > LINE_LIMIT_BYTES) throw bad(`a line is longer than ${LINE_LIMIT_BYTES} bytes`);
  }
  rest += utf8.end();
  if (rest !== '') yield rest;
}

export interface ParsedCampaign {
  /** Settings found in the body (JSON object, NDJSON's first line). */
  settings(): Promise<CampaignSettings>;
  recipients: AsyncIterable<Recipient>;
  /** The request was refused before its list was read to the end: stop reading it and drop the rest of the body (so that the answer reaches the client). */
  discard(): void;
}

async function readLimited(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Not destroyed when the loop ends early: the request over the limit is answered 413 and the
  // rest of its body flows and is dropped, so the client reads the answer and its keep-alive
  // connection is not left with a body half-read (the next request on it timed out, 408).
  for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer | string>) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > limit) {
      setImmediate(() => body.resume());
      throw new RequestError('body_too_large', `a JSON campaign is limited to ${limit} bytes: send large lists as NDJSON or CSV`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJsonBody(body: Readable): ParsedCampaign {
  const value = readLimited(body, JSON_LIMIT_BYTES).then((raw) => {
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw bad('body is not JSON');
    }
    if (!isObject(v)) throw bad('body must be a JSON object with template_id and recipients');
    if (!Array.isArray(v.recipients)) throw bad('recipients must be an array of {"touser", "data"}');
    return v as Record<string, unknown> & { recipients: unknown[] };
  });
  value.catch(() => undefined); // awaited by settings(); never unhandled meanwhile
  return {
    settings: async () => settingsOf(await value, 'body'),
    recipients: (async function* () {
      const v = await value;
      for (let i = 0; i < v.recipients.length; i++) yield recipientOf(v.recipients[i], `recipients[${i}]`);
    })(),
    // settings() read the whole body: nothing is left to drop.
    discard: () => undefined,
  };
}

function parseNdjson(body: Readable): ParsedCampaign {
  // Not destroyed when the reading stops early: destroying the request would reset the
  // connection before the answer (a 400 naming the line) is written.
  const it = lines(body.iterator({ destroyOnReturn: false }))[Symbol.asyncIterator]();
  let n = 0;
  let pending: Record<string, unknown> | undefined;
  const next = async (): Promise<Record<string, unknown> | undefined> => {
    for (;;) {
      const r = await it.next();
      if (r.done) return undefined;
      n++;
      if (r.value.trim() === '') continue;
      try {
        const v = JSON.parse(r.value) as unknown;
        if (!isObject(v)) throw new Error();
        return v;
      } catch {
        throw bad(`line ${n}: not a JSON object`);
      }
    }
  };
  // The first line is the campaign's settings when it names no recipient.
  const first = next().then((v) => {
    if (v && v.touser === undefined && v.openid === undefined) return settingsOf(v, 'line 1');
    pending = v;
    return {};
  });
  first.catch(() => undefined); // settings() is awaited, but a refusal before it must not leave it unhandled
  return {
    settings: () => first,
    recipients: (async function* () {
      await first;
      if (pending) yield recipientOf(pending, `line ${n}`);
      for (let v = await next(); v; v = await next()) yield recipientOf(v, `line ${n}`);
    })(),
    discard() {
      // Once the line reader has let go of the body (its 'readable' listener is removed a tick
      // later), the rest flows and is dropped.
      void it.return(undefined).then(
        () => setImmediate(() => body.resume()),
        () => body.resume(),
      );
    },
  };
}

function parseCsvBody(body: Readable): ParsedCampaign {
  const parser = parseCsv({ columns: (h: string[]) => h.map((c) => c.trim()), bom: true, trim: true, skip_empty_lines: true, max_record_size: LINE_LIMIT_BYTES });
  // The parser reads as soon as it is piped, long before the recipient loop starts (after the
  // campaign is created, or never when the request is refused first): an 'error' event with no
  // listener would end the process (and `serve` with it). Listened to from the start; the
  // iterator below keeps the error for the loop to throw.
  parser.on('error', () => undefined);
  body.on('error', (err) => parser.destroy(err));
  body.pipe(parser);
  const rows = (parser as AsyncIterable<Record<string, string>>)[Symbol.asyncIterator]();
  let n = 1; // the header is row 1
  // csv-parse counts lines (a quoted field may hold several); `n + 1` is a guess when it does not say.
  const failed = (err: unknown) => (err instanceof RequestError ? err : bad(`CSV line ${(err as { lines?: number }).lines ?? n + 1}: ${(err as Error).message}`));
  // The header and the first row before any campaign exists: a body that is not CSV at all is a
  // 400 with nothing created. Caught here so that it is never unhandled meanwhile.
  const first = rows.next();
  first.catch(() => undefined);
  return {
    settings: async () => {
      try {
        await first;
      } catch (err) {
        throw failed(err);
      }
      return {};
    },
    recipients: (async function* () {
      try {
        for (let r = await first; !r.done; r = await rows.next()) {
          n++;
          const { openid, touser, url, ...data } = r.value;
          yield recipientOf({ touser: touser ?? openid, url: url === '' ? undefined : url, data: Object.keys(data).length > 0 ? data : undefined }, `row ${n}`);
        }
      } catch (err) {
        throw failed(err);
      }
    })(),
    discard() {
      body.unpipe(parser);
      parser.destroy();
      body.resume();
    },
  };
}

export function parseCampaignBody(body: Readable, format: CampaignFormat): ParsedCampaign {
  return format === 'json' ? parseJsonBody(body) : format === 'ndjson' ? parseNdjson(body) : parseCsvBody(body);
}
