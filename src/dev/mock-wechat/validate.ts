// The checks WeChat makes on message bodies, with its errcodes, so that wxgate's own payload
// bugs show up against the mock and not first in production.
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html

export const MSGTYPES = ['text', 'image', 'voice', 'video', 'music', 'news', 'mpnews', 'mpnewsarticle', 'msgmenu', 'wxcard', 'miniprogrampage'] as const;

export type WeChatAnswer = { errcode: number; errmsg: string };

/** The parsed request body: `empty` (44002), `bad` (47001) or a JSON object. */
export type ParsedBody = { kind: 'empty' } | { kind: 'bad' } | { kind: 'json'; value: Record<string, unknown> };

export function parseBody(raw: string): ParsedBody {
  if (raw.trim() === '') return { kind: 'empty' };
  try {
    const value = JSON.parse(raw) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? { kind: 'json', value: value as Record<string, unknown> } : { kind: 'bad' };
  } catch {
    return { kind: 'bad' };
  }
}

const OPENID = /^[A-Za-z0-9_-]{1,64}$/;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const EMPTY: WeChatAnswer = { errcode: 44002, errmsg: 'empty post data' };
const FORMAT: WeChatAnswer = { errcode: 47001, errmsg: 'data format error' };
const OPENID_BAD: WeChatAnswer = { errcode: 40003, errmsg: 'invalid openid' };
const TOO_LONG: WeChatAnswer = { errcode: 45002, errmsg: 'content size out of limit' };
// WeChat's own limit on custom/send text, in bytes of UTF-8. Kept apart from wxgate's splitter
// (src/worker/split-text.ts) on purpose: the mock stands for WeChat and catches a splitter bug.
const TEXT_LIMIT_BYTES = 2048;

type Checked = { answer: WeChatAnswer } | { value: Record<string, unknown> };

function common(body: ParsedBody): Checked {
  if (body.kind === 'empty') return { answer: EMPTY };
  if (body.kind === 'bad') return { answer: FORMAT };
  const touser = body.value.touser;
  if (typeof touser !== 'string' || !OPENID.test(touser)) return { answer: OPENID_BAD };
  return { value: body.value };
}

/** undefined: accepted. */
export function validateCustom(body: ParsedBody): WeChatAnswer | undefined {
  const c = common(body);
  if ('answer' in c) return c.answer;
  const msgtype = c.value.msgtype;
  if (typeof msgtype !== 'string' || !(MSGTYPES as readonly string[]).includes(msgtype)) return FORMAT;
  const payload = c.value[msgtype];
  if (!isObject(payload)) return FORMAT;
  if (msgtype === 'text') {
    if (typeof payload.content !== 'string' || payload.content === '') return FORMAT;
    if (Buffer.byteLength(payload.content, 'utf8') > TEXT_LIMIT_BYTES) return TOO_LONG;
  }
  return undefined;
}

export function validateTyping(body: ParsedBody): WeChatAnswer | undefined {
  const c = common(body);
  if ('answer' in c) return c.answer;
  return c.value.command === 'Typing' || c.value.command === 'CancelTyping' ? undefined : FORMAT;
}

export function validateTemplate(body: ParsedBody): WeChatAnswer | undefined {
  const c = common(body);
  if ('answer' in c) return c.answer;
  if (typeof c.value.template_id !== 'string' || c.value.template_id === '') return { errcode: 40037, errmsg: 'invalid template_id' };
  return isObject(c.value.data) ? undefined : FORMAT;
}
