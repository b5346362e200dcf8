// The kinds of WeChat interface alert, told apart by the words WeChat uses for them.
// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Warning_Message_Troubleshooting_Guide.html
// (general alerts for every account, and four that only third-party platforms receive).

export const ALERT_KIND_IDS = [
  'request_timeout',
  'response_failure',
  'connection_timeout',
  'dns_failure',
  'dns_timeout',
  'markfail',
  'ticket_timeout',
  'ticket_failure',
  'component_timeout',
  'component_failure',
  'unknown',
] as const;
export type AlertKindId = (typeof ALERT_KIND_IDS)[number];

/** How the logs are read for the kind. */
export type AlertFamily = 'timeout' | 'failure' | 'network' | 'markfail' | 'unknown';

export interface AlertKind {
  id: AlertKindId;
  family: AlertFamily;
  /** WeChat's name for it. */
  keyword: string;
  /** Ours, in a line. */
  title: string;
  thirdParty: boolean;
  /** Third-party pushes carry InfoType instead of MsgType. */
  infoType?: string;
}

export const ALERT_KINDS: Record<AlertKindId, AlertKind> = {
  request_timeout: { id: 'request_timeout', family: 'timeout', keyword: '请求超时', title: 'request timeout: no answer to a push within 5 s', thirdParty: false },
  response_failure: { id: 'response_failure', family: 'failure', keyword: '回应失败', title: 'response failure: the answer to a push was not acceptable', thirdParty: false },
  connection_timeout: { id: 'connection_timeout', family: 'network', keyword: '连接超时', title: 'connection timeout: WeChat could not connect to our server', thirdParty: false },
  dns_failure: { id: 'dns_failure', family: 'network', keyword: 'DNS失败', title: 'DNS failure: the server URL\'s domain did not resolve', thirdParty: false },
  dns_timeout: { id: 'dns_timeout', family: 'network', keyword: 'DNS超时', title: 'DNS timeout: resolving the server URL\'s domain took too long', thirdParty: false },
  markfail: { id: 'markfail', family: 'markfail', keyword: 'MarkFail', title: 'MarkFail: too many failures, WeChat stopped pushing for a minute', thirdParty: false },
  ticket_timeout: { id: 'ticket_timeout', family: 'timeout', keyword: '推送component_verify_ticket超时', title: 'component_verify_ticket push not answered within 5 s', thirdParty: true, infoType: 'component_verify_ticket' },
  ticket_failure: { id: 'ticket_failure', family: 'failure', keyword: '推送component_verify_ticket失败', title: 'component_verify_ticket push not answered with success', thirdParty: true, infoType: 'component_verify_ticket' },
  component_timeout: { id: 'component_timeout', family: 'timeout', keyword: '推送第三方平台消息超时', title: 'third-party platform push (e.g. unauthorized) not answered within 5 s', thirdParty: true },
  component_failure: { id: 'component_failure', family: 'failure', keyword: '推送第三方平台消息失败', title: 'third-party platform push not answered with success', thirdParty: true },
  unknown: { id: 'unknown', family: 'unknown', keyword: '?', title: 'an alert kind this tool does not know', thirdParty: false },
};

// First match wins: the specific kinds come before the words they contain
// ("DNS超时" before any 超时, MarkFail's "多次失败" before 失败).
// Traditional forms too: a WeChat client set to 繁體 shows the whole alert in Traditional characters.
const PATTERNS: [AlertKindId, RegExp][] = [
  ['ticket_timeout', /component_verify_ticket[^\n]*(超时|超時|5\s*S內?内?没有返回|5\s*秒[内內][没沒]有返回|time\s*out)/i],
  ['ticket_failure', /component_verify_ticket[^\n]*(失败|失敗|[没沒]有返回success|fail)/i],
  ['component_timeout', /(第三方平台消息|组件消息|組件消息)[^\n]*(超时|超時|5\s*秒[内內][没沒]有返回|time\s*out)/i],
  ['component_failure', /(第三方平台消息|组件消息|組件消息)[^\n]*(失败|失敗|[没沒]有返回success|fail)/i],
  ['markfail', /mark\s*fail|自动屏蔽|自動屏蔽|被屏蔽|暂时不推送消息|暫時不推送消息/i],
  ['dns_timeout', /DNS\s*(超时|超時)|解析DNS(超时|超時)|DNS\s*time\s*out/i],
  ['dns_failure', /DNS\s*(失败|失敗)|解析DNS(失败|失敗)|域名解析(失败|失敗)|DNS\s*fail/i],
  ['connection_timeout', /(连接|連接)(超时|超時)|(连接|連接)[^\n]*时发生(超时|超時)|連接[^\n]*時發生超時|connection\s*time\s*out/i],
  ['request_timeout', /请求超时|請求超時|5\s*秒[内內][没沒]有返回|[没沒]有在5秒[内內]返回|request\s*time\s*out|within\s*5\s*seconds/i],
  ['response_failure', /回应失败|回應失敗|回应不合法|回應不合法|回复不合法|回復不合法|response\s*fail|invalid\s*response/i],
];

/** The kind, from the alert's 内容 first, then from anywhere in the text. */
export function recogniseKind(content: string | undefined, raw = ''): AlertKind {
  for (const text of [content ?? '', raw]) {
    for (const [id, re] of PATTERNS) if (re.test(text)) return ALERT_KINDS[id];
  }
  return ALERT_KINDS.unknown;
}
