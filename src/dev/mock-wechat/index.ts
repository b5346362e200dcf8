// A fake WeChat API (tests, benchmarks, demos): WeChat's paths with WeChat's checks and
// errcodes, token issuance with WeChat's validity rules, injectable faults, and a control API.
// It binds to loopback by default; it is a development tool, never put it on a public address.
import { createServer } from 'node:http';
import Koa from 'koa';
import type { Logger } from '../../logger.js';
import { createControlRoutes } from './control-routes.js';
import { createMockFaults, type Fault, type MockFaults } from './faults.js';
import { createMockRecords, type MockRecords, type MockStats, type SentFilter, type SentRecord } from './records.js';
import { createMockTokens, type MockTokens, type MockTokenSettings, type TokenKind, type TokenStatus } from './tokens.js';
import { createWeChatRoutes } from './wechat-routes.js';
import { createMockTemplates, type MockTemplates, type TemplateConfig } from './templates.js';
import { createTemplateControlRoutes } from './template-control-routes.js';

export type { Fault, MockStats, SentRecord, TokenStatus, MockTokenSettings, TemplateConfig };

export interface MockWeChatOptions {
  /** Secret per appid, or 'any' (every non-empty appid/secret is accepted). */
  appsecrets: Readonly<Record<string, string>> | 'any';
  tokenTtlS?: number;
  /** How long a superseded token keeps working (WeChat: 5 min). */
  graceS?: number;
  /** Stable API: the last part of a token's life in which a normal call renews it. */
  renewWindowS?: number;
  forcedPerDay?: number;
  forcedIntervalS?: number;
  /** Accepted sends kept for GET /__mock/sent; older ones are dropped (counters stay). */
  maxRecorded?: number;
  port?: number;
  callbackIps?: readonly string[];
  /** Template checks and delivery reports (also settable through POST /__mock/templates). */
  templates?: TemplateConfig;
  /** The mock's clock for the template quota day (tests). */
  clock?: () => number;
}

export interface MockState {
  /** Mutable: change tokenTtlS / graceS per test. */
  readonly settings: MockTokenSettings;
  readonly tokens: MockTokens;
  readonly faults: MockFaults;
  readonly records: MockRecords;
  /** Set once the routes are built. */
  readonly templates: MockTemplates;
  stats(): MockStats;
  sent(filter?: SentFilter): SentRecord[];
  tokenStatus(token: string): TokenStatus;
  currentToken(appid: string, kind?: TokenKind): string | undefined;
  expire(appid?: string): number;
  reset(): void;
}

export interface ListeningMock {
  url: string;
  close(): Promise<void>;
}

export interface MockWeChat {
  app: Koa;
  listen(port?: number, host?: string): Promise<ListeningMock>;
  state: MockState;
}

export function createMockWeChat(
  { logger }: { logger?: Logger },
  {
    appsecrets,
    tokenTtlS = 7200,
    graceS = 300,
    renewWindowS,
    forcedPerDay = 20,
    forcedIntervalS = 30,
    maxRecorded = 100_000,
    port: defaultPort = 0,
    callbackIps = ['101.226.62.77', '101.226.62.78', '101.226.62.79'],
    templates: templateConfig,
    clock,
  }: MockWeChatOptions,
): MockWeChat {
  const settings: MockTokenSettings = { tokenTtlS, graceS, renewWindowS, forcedPerDay, forcedIntervalS };
  const tokens = createMockTokens(settings);
  const faults = createMockFaults();
  const records = createMockRecords({ maxRecorded });
  let templates: MockTemplates | undefined;
  const reset = () => {
    tokens.clear();
    faults.clear();
    records.clear();
    templates?.reset();
  };
  const state: MockState = {
    settings,
    tokens,
    faults,
    records,
    get templates() {
      return templates!;
    },
    stats: () => records.stats(),
    sent: (filter) => records.sent(filter),
    tokenStatus: (t) => tokens.status(t),
    currentToken: (appid, kind = 'stable') => tokens.current(appid, kind),
    expire: (appid) => tokens.expire(appid),
    reset,
  };

  const app = new Koa();
  app.silent = true;
  app.on('error', (err: Error & { status?: number }) => {
    if ((err.status ?? 500) >= 500) logger?.error({ layer: 'mock', err: err.message }, 'mock wechat error');
  });
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = err as Error & { status?: number; expose?: boolean };
      ctx.status = e.status ?? 500;
      ctx.body = { error: e.expose ? e.message : 'mock internal error' };
      if (ctx.status >= 500) ctx.app.emit('error', err, ctx);
    }
  });
  const makeTemplates = (nextMsgid: () => number) => {
    templates = createMockTemplates({ clock, nextMsgid });
    if (templateConfig) templates.configure(templateConfig);
    return templates;
  };
  const wechat = createWeChatRoutes({ tokens, faults, records, appsecrets: () => appsecrets, callbackIps, templates: makeTemplates });
  const control = createControlRoutes({ tokens, faults, records, settings, reset });
  const templateControl = createTemplateControlRoutes({ templates: templates! });
  app.use(wechat.routes()).use(wechat.allowedMethods());
  app.use(templateControl.routes()).use(templateControl.allowedMethods());
  app.use(control.routes()).use(control.allowedMethods());

  async function listen(port = defaultPort, host = '127.0.0.1'): Promise<ListeningMock> {
    const server = createServer(app.callback());
    server.keepAliveTimeout = 65_000; // longer than clients' idle sockets, so a reused socket is open
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const addr = server.address();
    const actual = typeof addr === 'object' && addr ? addr.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
    return {
      url,
      close: () =>
        new Promise<void>((resolve) => {
          templates?.close();
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  }

  return { app, listen, state };
}
