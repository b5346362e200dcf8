// The simulator's options and what it reports; shared by simulate(), the CLI, tests and benchmarks.
import type { PushMode } from '../pushes.js';
import type { DeliveryResult } from './deliver.js';
import type { PassiveReading } from './read-passive.js';
import type { SimKind } from './message-kinds.js';

export interface SimulateOptions {
  /** Where WeChat would push: http://127.0.0.1:3000/wechat or …/wechat/<appid>. */
  url: string;
  appid: string;
  token: string;
  /** The 43-character EncodingAESKey; needed for compat and aes mode. */
  aesKey?: string;
  /** Default: aes when aesKey is given, else plain. */
  mode?: PushMode;
  /** Kinds sent in turn (default text). */
  kinds?: readonly SimKind[];
  /** text: Content; link: Title; click: EventKey; view: URL; scan: scene. Default: numbered per message. */
  content?: string;
  /** One sender for every message; else `users` distinct synthetic openids in turn. */
  openid?: string;
  users?: number;
  count?: number;
  /** Messages started per second (0: as fast as `concurrency` allows). */
  rate?: number;
  /** Messages in flight at once (a message holds its slot through its retries). */
  concurrency?: number;
  /** WeChat: 5 s for the whole answer. Shorter in tests. */
  timeoutMs?: number;
  /** WeChat: 3 s to connect. Shorter in tests. */
  connectTimeoutMs?: number;
  /** WeChat: 3 deliveries in all. */
  maxDeliveries?: number;
  /** A retry starts this long after the previous delivery started (WeChat: about 5 s apart). */
  retryIntervalMs?: number;
  /** No new message starts after this; the ones in flight finish (their retries are bounded too). */
  maxDurationMs?: number;
  /** ToUserName: the account's original id (gh_…). */
  toUser?: string;
  /** Called as each message finishes (benchmarks correlate replies with it). */
  onMessage?: (result: MessageResult) => void;
  /**
   * Build every push (XML, encryption, signatures) before the first is sent, so that a benchmark
   * sharing the cores with the server does not count that work in its timed phase. CreateTime and
   * timestamp are then the build time, seconds before the send (well inside the receiver's window).
   */
  prebuild?: boolean;
  /** Called just before the first push is sent (after prebuilding): where a benchmark starts its clocks. */
  onStart?: () => void;
}

export interface MessageResult {
  readonly seq: number;
  readonly kind: SimKind;
  readonly openid: string;
  /** Ordinary messages; events have none. */
  readonly msgId?: string;
  readonly content?: string;
  readonly createTime: number;
  /** Epoch ms of the first delivery. */
  readonly sentAt: number;
  /** 1-based delivery that was acknowledged, or 0 if none was. */
  readonly ackedOn: number;
  readonly deliveries: readonly DeliveryResult[];
  /** The push's sample fields as WeChat's alerts print them: [OpenID=…][Stamp=…][3rdUrl=…][IP=…][Msg=Text]. */
  readonly sample: string;
}

export type AlertId = 'request_timeout' | 'response_failure' | 'connection_timeout';

export interface AlertCount {
  readonly id: AlertId;
  /** WeChat's word for it: 请求超时, 回应失败, 连接超时. */
  readonly keyword: string;
  /** Failed deliveries of this kind. */
  readonly count: number;
  /** Messages with at least one such delivery. */
  readonly messages: number;
  /** The first one, in the words of WeChat's alert (时间 and 错误样例). */
  readonly first?: { readonly at: string; readonly sample: string };
}

export interface SimulationSummary {
  readonly url: string;
  readonly mode: PushMode;
  readonly kinds: readonly SimKind[];
  /** Messages sent (at least one delivery). */
  readonly messages: number;
  /** Messages the time limit kept from starting. */
  readonly notSent: number;
  readonly acknowledged: {
    /** On the first delivery: WeChat is content. */
    readonly first: number;
    /** On a retry: WeChat alerted, and the message may be handled twice by a naive server. */
    readonly afterRetry: number;
    /** Never, after every delivery: the user saw "该公众号暂时无法提供服务". */
    readonly never: number;
  };
  readonly deliveries: number;
  /** Answers that were passive-reply XML rather than `success` (accepted by WeChat). */
  readonly passiveReplies: number;
  /** The first passive reply, as WeChat would read it. */
  readonly firstPassive?: PassiveReading;
  /** Passive replies WeChat would refuse: a bad signature, one that does not decrypt, or addressed to another user. */
  readonly passiveRefused: number;
  readonly alerts: readonly AlertCount[];
  /** Share of messages with at least one 请求超时 delivery, 0–1. */
  readonly timedOutShare: number;
  /** Over the deliveries that got a whole answer. */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number } | null;
  readonly durationMs: number;
  /** Messages started per second, achieved. */
  readonly messagesPerSecond: number;
}
