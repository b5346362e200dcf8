// template/send as WeChat answers it, and the TEMPLATESENDJOBFINISH push WeChat sends after it:
// - template ids the account has (any, or a configured list, each with its data keys): 40037
//   for an unknown id, 47003 for data missing a key or with an empty value;
// - openids that no longer follow the account: 43004;
// - a daily quota (45009 after N accepted calls per appid), reset by POST /__mock/reset or
//   /__mock/templates/reset-quota, and at 00:00 Beijing as WeChat's is;
// - client_msg_id (防重入): "对于同一个openid + client_msg_id, 只发送一条消息,10分钟有效". WeChat does
//   not document the answer to the repeat; the mock answers it as the first (errcode 0, the same
//   msgid) and sends nothing more, and counts it apart (stats.duplicates);
// - after `delayMs`, the delivery report is POSTed to the account's server URL, signed with its
//   Token, and encrypted with its EncodingAESKey in safe (or compatibility) mode, with WeChat's
//   timing (3 s to connect, 5 s to answer, up to 3 tries).
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
import { Agent } from 'node:http';
import { z } from 'zod';
import { buildPush, type PushMode } from '../pushes.js';
import { deliver } from '../simulator/deliver.js';
import type { ParsedBody, WeChatAnswer } from './validate.js';

export const reportAccountSchema = z.object({ token: z.string().min(1), encodingAESKey: z.string().length(43).optional(), mode: z.enum(['plain', 'compat', 'safe']).default('plain') }).strict();

export const templateConfigSchema = z
  .object({
    /** template_id → its data keys; omitted: every template id is known and any data is accepted. */
    templates: z.record(z.string(), z.array(z.string())).optional(),
    unfollowed: z.array(z.string()).optional(),
    dailyQuota: z.number().int().min(0).nullable().optional(),
    /** Openids whose report says `failed:user block` / `failed: system failed`. */
    blocked: z.array(z.string()).optional(),
    systemFailed: z.array(z.string()).optional(),
    reports: z
      .object({
        /** The server URL from the MP console, e.g. http://127.0.0.1:3000/wechat. */
        url: z.string().url(),
        delayMs: z.number().min(0).max(600_000).default(1000),
        accounts: z.record(z.string(), reportAccountSchema),
        /** Reports pushed at once. */
        concurrency: z.number().int().min(1).max(256).default(16),
      })
      .nullable()
      .optional(),
  })
  .strict();

export type TemplateConfig = z.infer<typeof templateConfigSchema>;

export interface TemplateStats {
  accepted: number;
  duplicates: number;
  /** Accepted sends to an openid that had had one accepted already (since the last reset). */
  repeatedOpenids: number;
  byErrcode: Record<string, number>;
  quotaUsed: Record<string, number>;
  reports: { scheduled: number; pushed: number; failed: number; byStatus: Record<string, number> };
}

export interface MockTemplates {
  send(appid: string, body: ParsedBody, record: (value: Record<string, unknown>) => void): Record<string, unknown>;
  configure(config: TemplateConfig): void;
  settings(): Record<string, unknown>;
  stats(): TemplateStats;
  resetQuota(appid?: string): void;
  /** Resolves once every scheduled report has been pushed (or given up). */
  drained(): Promise<void>;
  reset(): void;
  close(): void;
}

const DEDUP_MS = 10 * 60_000;
const BEIJING = 8 * 3600_000;
const dayOf = (ms: number) => Math.floor((ms + BEIJING) / 86_400_000);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function emptyStats(): TemplateStats {
  return { accepted: 0, duplicates: 0, repeatedOpenids: 0, byErrcode: {}, quotaUsed: {}, reports: { scheduled: 0, pushed: 0, failed: 0, byStatus: {} } };
}

export function createMockTemplates({ clock = Date.now, nextMsgid }: { clock?: () => number; nextMsgid: () => number }): MockTemplates {
  let config: TemplateConfig = {};
  let unfollowed = new Set<string>();
  let blocked = new Set<string>();
  let systemFailed = new Set<string>();
  let stats = emptyStats();
  let quotaDay = dayOf(clock());
  let sentOpenids = new Set<string>();
  let dedup = new Map<string, { msgid: number; at: number }>();
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const timers = new Set<NodeJS.Timeout>();
  const waiting: (() => Promise<void>)[] = [];
  let inFlight = 0;
  let idle: (() => void)[] = [];

  const answer = (a: WeChatAnswer) => {
    stats.byErrcode[a.errcode] = (stats.byErrcode[a.errcode] ?? 0) + 1;
    return { errcode: a.errcode, errmsg: a.errmsg };
  };

  function dataProblem(templateId: string, data: Record<string, unknown>): WeChatAnswer | undefined {
    const keys = config.templates?.[templateId];
    if (!keys) return undefined;
    for (const k of keys) {
      const item = data[k];
      if (!isObject(item) || typeof item.value !== 'string' || item.value === '') return { errcode: 47003, errmsg: `argument invalid! data.${k}.value empty` };
    }
    return undefined;
  }

  function pump(): void {
    const concurrency = config.reports?.concurrency ?? 16;
    while (inFlight < concurrency && waiting.length > 0) {
      inFlight++;
      void waiting.shift()!().finally(() => {
        inFlight--;
        pump();
      });
    }
    if (inFlight === 0 && waiting.length === 0 && timers.size === 0) {
      for (const r of idle) r();
      idle = [];
    }
  }

  async function push(appid: string, openid: string, msgid: number): Promise<void> {
    const r = config.reports;
    const account = r?.accounts[appid];
    if (!r || !account) return;
    const status = blocked.has(openid) ? 'failed:user block' : systemFailed.has(openid) ? 'failed: system failed' : 'success';
    const message = { ToUserName: 'gh_mockwechat01', FromUserName: openid, CreateTime: String(Math.floor(Date.now() / 1000)), MsgType: 'event', Event: 'TEMPLATESENDJOBFINISH', MsgID: String(msgid), Status: status };
    const target = new URL(r.url);
    const mode: PushMode = account.mode === 'safe' ? 'aes' : account.mode;
    for (let attempt = 1; attempt <= 3; attempt++) {
      // Signed anew per try, as WeChat does (each retry carries its own timestamp and nonce).
      const built = buildPush({ appid, token: account.token, encodingAESKey: account.encodingAESKey }, message, { mode, basePath: target.pathname });
      const result = await deliver(target, built, { agent, timeoutMs: 5000, connectTimeoutMs: 3000 });
      if (result.outcome === 'ack' || result.outcome === 'passive') {
        stats.reports.pushed++;
        stats.reports.byStatus[status] = (stats.reports.byStatus[status] ?? 0) + 1;
        return;
      }
    }
    stats.reports.failed++;
  }

  function schedule(appid: string, openid: string, msgid: number): void {
    if (!config.reports?.accounts[appid]) return;
    stats.reports.scheduled++;
    const t = setTimeout(() => {
      timers.delete(t);
      waiting.push(() => push(appid, openid, msgid));
      pump();
    }, config.reports.delayMs);
    timers.add(t);
  }

  return {
    send(appid, body, record) {
      if (body.kind === 'empty') return answer({ errcode: 44002, errmsg: 'empty post data' });
      if (body.kind === 'bad') return answer({ errcode: 47001, errmsg: 'data format error' });
      const v = body.value;
      const now = clock();
      if (dayOf(now) !== quotaDay) {
        quotaDay = dayOf(now);
        stats.quotaUsed = {};
      }
      const openid = v.touser;
      if (typeof openid !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(openid)) return answer({ errcode: 40003, errmsg: 'invalid openid' });
      const clientMsgId = typeof v.client_msg_id === 'string' && v.client_msg_id !== '' ? v.client_msg_id : undefined;
      const key = clientMsgId && `${appid}\n${openid}\n${clientMsgId}`;
      const seen = key ? dedup.get(key) : undefined;
      if (seen && now - seen.at < DEDUP_MS) {
        stats.duplicates++;
        return { errcode: 0, errmsg: 'ok', msgid: seen.msgid };
      }
      const quota = config.dailyQuota;
      if (quota !== undefined && quota !== null && (stats.quotaUsed[appid] ?? 0) >= quota) return answer({ errcode: 45009, errmsg: 'reach max api daily quota limit' });
      const templateId = v.template_id;
      if (typeof templateId !== 'string' || templateId === '' || (config.templates && !Object.hasOwn(config.templates, templateId))) return answer({ errcode: 40037, errmsg: 'invalid template_id' });
      if (!isObject(v.data)) return answer({ errcode: 47001, errmsg: 'data format error' });
      const problem = dataProblem(templateId, v.data);
      if (problem) return answer(problem);
      if (unfollowed.has(openid)) return answer({ errcode: 43004, errmsg: 'require subscribe' });
      stats.quotaUsed[appid] = (stats.quotaUsed[appid] ?? 0) + 1;
      const msgid = nextMsgid();
      if (key) {
        if (dedup.size > 200_000) for (const [k, e] of dedup) if (now - e.at >= DEDUP_MS) dedup.delete(k);
        dedup.set(key, { msgid, at: now });
      }
      stats.accepted++;
      const seenKey = `${appid}\n${openid}`;
      if (sentOpenids.has(seenKey)) stats.repeatedOpenids++;
      else sentOpenids.add(seenKey);
      answer({ errcode: 0, errmsg: 'ok' });
      record(v);
      schedule(appid, openid, msgid);
      return { errcode: 0, errmsg: 'ok', msgid };
    },
    configure(c) {
      config = { ...config, ...c };
      if (c.unfollowed) unfollowed = new Set(c.unfollowed);
      if (c.blocked) blocked = new Set(c.blocked);
      if (c.systemFailed) systemFailed = new Set(c.systemFailed);
    },
    settings: () => ({ ...config, reports: config.reports ? { ...config.reports, accounts: Object.keys(config.reports.accounts) } : config.reports }),
    stats: () => structuredClone(stats),
    resetQuota(appid) {
      if (appid === undefined) stats.quotaUsed = {};
      else delete stats.quotaUsed[appid];
    },
    drained: () =>
      inFlight === 0 && waiting.length === 0 && timers.size === 0
        ? Promise.resolve()
        : new Promise<void>((r) => {
            idle.push(r);
          }),
    reset() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      waiting.length = 0;
      config = {};
      unfollowed = new Set();
      blocked = new Set();
      systemFailed = new Set();
      stats = emptyStats();
      sentOpenids = new Set();
      dedup = new Map();
      pump();
    },
    close() {
      this.reset();
      agent.destroy();
    },
  };
}
