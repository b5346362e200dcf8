// A WeChat interface alert (接口报警) as pasted from the alert group, to fields:
//
//   Appid: wx…            昵称: …             时间: 2014-12-01 20:12:00   (first failure, +08:00)
//   内容: …(what failed)   次数: 5分钟 1272次   错误样例: [IP=…][Event=UnSubscribe]
//
// Newer alerts put more in the sample: [OpenID=o…][Stamp=…][3rdUrl=…][IP=…][Msg=…][Event=…],
// and response failures add [response_length=…][response_content=…] (our answer, verbatim:
// it may hold brackets, so it is read up to the line's last "]").
// Guide: https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Warning_Message_Troubleshooting_Guide.html
import { parseTime } from './time.js';

export interface AlertSample {
  /** The developer's server IP that WeChat pushed to. */
  ip?: string;
  outerIp?: string;
  openid?: string;
  stamp?: number;
  url?: string;
  event?: string;
  msg?: string;
  infoType?: string;
  responseLength?: number;
  responseContent?: string;
  domain?: string;
  /** Every [key=value] as written, keys as written. */
  fields: Record<string, string>;
}

export interface ParsedAlert {
  appid?: string;
  nickname?: string;
  timeText?: string;
  /** First failure, epoch ms. */
  time?: number;
  content?: string;
  count?: number;
  countMinutes?: number;
  sample: AlertSample;
  raw: string;
}

type Field = 'appid' | 'nickname' | 'time' | 'content' | 'count' | 'sample';

const KEYS: Record<string, Field> = {
  appid: 'appid',
  '昵称': 'nickname',
  nickname: 'nickname',
  '时间': 'time',
  time: 'time',
  '内容': 'content',
  content: 'content',
  '次数': 'count',
  count: 'count',
  times: 'count',
  '错误样例': 'sample',
  '错误示例': 'sample',
  '样例': 'sample',
  sample: 'sample',
  example: 'sample',
  errorsample: 'sample',
  errorexample: 'sample',
};

function sampleKey(key: string): keyof Omit<AlertSample, 'fields'> | undefined {
  switch (key.toLowerCase().replace(/[^a-z0-9]/g, '')) {
    case 'ip':
      return 'ip';
    case 'outerip':
      return 'outerIp';
    case 'openid':
      return 'openid';
    case 'stamp':
    case 'timestamp':
      return 'stamp';
    case '3rdurl':
    case 'url':
      return 'url';
    case 'event':
      return 'event';
    case 'msg':
    case 'msgtype':
      return 'msg';
    case 'infotype':
      return 'infoType';
    case 'responselength':
      return 'responseLength';
    case 'responsecontent':
      return 'responseContent';
    case 'domain':
    case 'host':
      return 'domain';
    default:
      return undefined;
  }
}

export function parseSample(text: string): AlertSample {
  const sample: AlertSample = { fields: {} };
  let rest = text;
  const rc = /\[response_content=/i.exec(rest);
  if (rc) {
    const close = rest.lastIndexOf(']');
    const start = rc.index + rc[0].length;
    sample.responseContent = rest.slice(start, close > start ? close : undefined);
    sample.fields.response_content = sample.responseContent;
    rest = rest.slice(0, rc.index);
  }
  for (const m of rest.matchAll(/\[([^=\]]+)=([^\]]*)\]/g)) {
    const key = m[1]!.trim();
    const value = m[2]!.trim();
    sample.fields[key] = value;
    const k = sampleKey(key);
    if (k === undefined || value === '') continue;
    if (k === 'stamp' || k === 'responseLength') {
      const n = Number(value);
      if (Number.isFinite(n)) sample[k] = n;
    } else sample[k] = value;
  }
  return sample;
}

function parseCount(text: string): { count?: number; minutes?: number } {
  const minutes = /(\d+)\s*(?:分钟|min)/i.exec(text);
  const count = /(\d+)\s*(?:次|times)/i.exec(text) ?? /(\d+)\s*$/.exec(text.trim());
  const out: { count?: number; minutes?: number } = {};
  if (count) out.count = Number(count[1]);
  if (minutes) out.minutes = Number(minutes[1]);
  return out;
}

export function parseAlert(raw: string): ParsedAlert {
  const alert: ParsedAlert = { sample: { fields: {} }, raw };
  let last: Field | undefined;
  for (const rawLine of raw.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '') continue;
    const m = /^([^:：]{1,24})[:：]\s*(.*)$/.exec(line);
    const field = m ? KEYS[m[1]!.trim().toLowerCase().replace(/\s+/g, '')] : undefined;
    if (!field) {
      // A wrapped line continues the description or the sample.
      if (last === 'content') alert.content = `${alert.content ?? ''}${line}`;
      else if (last === 'sample' && line.startsWith('[')) alert.sample = parseSample(`${Object.entries(alert.sample.fields).map(([k, v]) => `[${k}=${v}]`).join('')}${line}`);
      continue;
    }
    const value = m![2]!.trim();
    last = field;
    switch (field) {
      case 'appid':
        alert.appid = value;
        break;
      case 'nickname':
        alert.nickname = value;
        break;
      case 'time': {
        alert.timeText = value;
        const t = parseTime(value);
        if (t !== undefined) alert.time = t;
        break;
      }
      case 'content':
        alert.content = value;
        break;
      case 'count': {
        const c = parseCount(value);
        if (c.count !== undefined) alert.count = c.count;
        if (c.minutes !== undefined) alert.countMinutes = c.minutes;
        break;
      }
      case 'sample':
        alert.sample = parseSample(value);
        break;
    }
  }
  return alert;
}
