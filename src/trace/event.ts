// One log line, whatever wrote it (nginx or a wxgate layer), in one shape.

/** access is nginx; the rest are wxgate's layers (DESIGN.md, "Log lines"). */
export const LAYERS = ['access', 'receive', 'worker', 'handler', 'send', 'token'] as const;
/** nginx's error log (upstream timeouts, refused connections), and wxgate lines without a layer ("stopping"). */
export const NGINX_ERROR_LAYER = 'nginx-error';
export const PROCESS_LAYER = 'process';
export type KnownLayer = (typeof LAYERS)[number];
export type Layer = KnownLayer | (string & {});

/** WeChat waits this long for an answer to a push, then counts a timeout and retries. */
export const WECHAT_LIMIT_MS = 5000;

export interface AccessDetail {
  remoteAddr?: string;
  serverAddr?: string;
  method?: string;
  path?: string;
  /** The push's `timestamp` query parameter (seconds): when WeChat signed this delivery. */
  pushTs?: number;
  /** The push's `nonce`: with openid and timestamp it names one push (signatures may be masked). */
  nonce?: string;
  /** $time_local's zone, ms east of UTC: nginx's error log writes the same local time without one. */
  zoneOffsetMs?: number;
  /** Every receiver nginx tried, in order ("a:1, b:2" after a retry). */
  upstreamAddrs: string[];
  upstreamStatuses: (number | undefined)[];
  /** $upstream_response_time summed over the tries, ms. */
  upstreamMs?: number;
  upstreamConnectMs?: number;
  bodyBytes?: number;
}

export interface LogEvent {
  layer: Layer;
  /** When the line was written, i.e. when the layer finished: epoch ms. */
  end: number;
  /** How long the layer took (pino `ms`, nginx $request_time), ms. */
  ms?: number;
  appid?: string;
  openid?: string;
  /** The message's CreateTime, epoch seconds. */
  stamp?: number;
  msgType?: string;
  event?: string;
  msgId?: string;
  dedupKey?: string;
  reqId?: string;
  status?: number;
  outcome?: string;
  reason?: string;
  errcode?: number;
  /** A template send's campaign (the message centre's `send` lines). */
  campaignId?: string;
  waitMs?: number;
  /** Reply modes passive and auto (receive lines): how the push was answered, after how long a wait for the reply. */
  answer?: string;
  /** `success` without a wait, and why: spooled, no_subscription, redis_not_ready. */
  waitSkipped?: string;
  replyWaitMs?: number;
  handOverMs?: number;
  steps?: Record<string, number>;
  msg?: string;
  /** wxgate's error code (wechat_http_5xx, redis_data_lost, …) or nginx's error kind. */
  code?: string;
  errmsg?: string;
  /** The send's (or the job's) try, 1-based. */
  attempt?: number;
  jobId?: string;
  pid?: number;
  handlerMs?: number;
  /** A process line (start, stop, Redis state): see process-lines.ts. */
  life?: string;
  /** "receiver listening" names the accounts this wxgate serves. */
  apps?: string[];
  /** nginx error-log lines: the local wall clock as if it were UTC, until the zone is known. */
  wallMs?: number;
  /** Only for nginx lines (access, and the error log's request). */
  access?: AccessDetail;
}

/** When the layer started: end minus its duration. */
export function startOf(e: LogEvent): number {
  return e.end - (e.ms ?? 0);
}
