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
  /** Fields the alert does not give (or gives unreadably, for the time). */
  missing: ('appid' | 'time' | 'content' | 'count' | 'sample')[];
}

type Field = 'appid' | 'nickname' | 'time' | 'content' | 'count' | 'sample';

/** Every label WeChat's alerts use for each field: Simplified (WeChat's), Traditional (a client set to 繁體), English. */
const LABELS: Record<Field, string[]> = {
  appid: ['appid', 'app id'],
  nickname: ['昵称', '暱稱', '昵稱', 'nickname'],
  time: ['时间', '時間', 'time'],
  content: ['内容', '內容', 'content'],
  count: ['次数', '次數', 'count', 'times'],
  sample: ['错误样例', '錯誤樣例', '错误示例', '錯誤示例', '样例', '樣例', 'error sample', 'error example', 'sample', 'example'],
};

const KEYS: Record<string, Field> = Object.fromEntries(
  (Object.entries(LABELS) as [Field, string[]][]).flatMap(([field, labels]) => labels.map((l) => [l.replace(/\s+/g, ''), field])),
);

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// A label starts the text, a line or follows whitespace (alerts pasted onto one line), and
// ends with a colon, ASCII or full-width. Longest labels first so 错误样例 wins over 样例.
const LABEL_RE = new RegExp(
  `(?:^|(?<=\\s))(${Object.values(LABELS).flat().sort((a, b) => b.length - a.length).map((l) => escapeRe(l).replace(/\\ /g, '\\s*')).join('|')})\\s*[:：]`,
  'gi',
);
/** The guide link WeChat appends; it ends the sample. */
const GUIDE = /\s*(?:报警排查指引|報警排查指引|alarm troubleshooting)/i;

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
  let rest = text.trim();
  const rc = /\[response_content=/i.exec(rest);
  if (rc) {
    // Our answer, verbatim: it may hold brackets and newlines, and WeChat cuts long ones ("…").
    const close = rest.lastIndexOf(']');
    const start = rc.index + rc[0].length;
    const content = rest.slice(start, close > start ? close : undefined);
    sample.responseContent = content.replace(/^"(.*)"$/s, '$1');
    sample.fields.response_content = sample.responseContent;
    rest = rest.slice(0, rc.index);
  }
  for (const m of rest.matchAll(/\[([^=\]:]+)(?:[=:]([^\]]*))?\]/g)) {
    const key = m[1]!.trim();
    const value = (m[2] ?? '').trim();
    sample.fields[key] = value;
    const k = sampleKey(key);
    if (k === undefined || value === '') continue;
    if (k === 'stamp' || k === 'responseLength') {
      const n = Number(value);
      if (Number.isFinite(n)) sample[k] = n;
    } else if (k === 'msg' && /^\d+$/.test(value)) {
      // [MsgType=20000] is WeChat's internal number, not a message type.
      continue;
    } else sample[k] = value;
  }
  return sample;
}

function parseCount(text: string): { count?: number; minutes?: number } {
  const minutes = /(\d+)\s*(?:分钟|分鐘|min)/i.exec(text);
  const count = /(\d+)\s*(?:次|times)/i.exec(text) ?? /(\d+)\s*$/.exec(text.trim());
  const out: { count?: number; minutes?: number } = {};
  if (count) out.count = Number(count[1]);
  if (minutes) out.minutes = Number(minutes[1]);
  return out;
}

/** The text between one label and the next, per field (the first of each wins). */
function fieldsOf(raw: string): Partial<Record<Field, string>> {
  const marks = [...raw.matchAll(LABEL_RE)].map((m) => ({ field: KEYS[m[1]!.toLowerCase().replace(/\s+/g, '')]!, at: m.index!, valueAt: m.index! + m[0].length }));
  const out: Partial<Record<Field, string>> = {};
  const sampleAt = marks.find((m) => m.field === 'sample');
  // Nothing after the sample's label is another field: the sample may quote our answer, which
  // may hold anything, "时间:" included.
  const used = sampleAt ? marks.filter((m) => m.at <= sampleAt.at) : marks;
  used.forEach((m, i) => {
    const next = used[i + 1];
    let value = raw.slice(m.valueAt, next ? next.at : undefined);
    if (m.field === 'sample') value = value.split(GUIDE)[0]!;
    else value = value.split(GUIDE)[0]!.replace(/\s*\n\s*/g, '').trim();
    out[m.field] ??= value.trim();
  });
  return out;
}

export function parseAlert(raw: string): ParsedAlert {
  const alert: ParsedAlert = { sample: { fields: {} }, raw, missing: [] };
  const f = fieldsOf(raw);
  if (f.appid) alert.appid = f.appid.split(/\s+/)[0]!;
  if (f.nickname) alert.nickname = f.nickname;
  if (f.time) {
    alert.timeText = f.time;
    const t = parseTime(f.time);
    if (t !== undefined) alert.time = t;
  }
  if (f.content) alert.content = f.content;
  if (f.count) {
    const c = parseCount(f.count);
    if (c.count !== undefined) alert.count = c.count;
    if (c.minutes !== undefined) alert.countMinutes = c.minutes;
  }
  if (f.sample) alert.sample = parseSample(f.sample);
  alert.missing = (['appid', 'time', 'content', 'count', 'sample'] as const).filter((k) => (k === 'time' ? alert.time === undefined : k === 'sample' ? f.sample === undefined : alert[k] === undefined));
  return alert;
}

/** What was understood, for a message about what was not. */
export function describeUnderstood(a: ParsedAlert): string {
  const parts = [
    a.appid ? `Appid ${a.appid}` : '',
    a.timeText ? `时间 "${a.timeText}"${a.time === undefined ? ' (not a time)' : ''}` : '',
    a.content ? `内容 "${a.content.length > 40 ? `${a.content.slice(0, 40)}…` : a.content}"` : '',
    a.count !== undefined ? `次数 ${a.count}` : '',
    Object.keys(a.sample.fields).length > 0 ? `错误样例 ${Object.keys(a.sample.fields).join(', ')}` : '',
  ].filter((p) => p !== '');
  return parts.length > 0 ? parts.join('; ') : 'nothing (no "时间:", "内容:" or "错误样例:" label)';
}
