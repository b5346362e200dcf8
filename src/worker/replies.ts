// Typed builders for every customer-service (客服) message type, plus the typing indicator.
// A reply is the body of POST /cgi-bin/message/custom/send without `touser` (the worker adds
// it), so what a handler builds is exactly what WeChat receives and what `wxgate dlq show` shows.
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
import { splitText } from './split-text.js';

export interface TextReply { readonly msgtype: 'text'; readonly text: { readonly content: string } }
export interface ImageReply { readonly msgtype: 'image'; readonly image: { readonly media_id: string } }
export interface VoiceReply { readonly msgtype: 'voice'; readonly voice: { readonly media_id: string } }
export interface VideoReply {
  readonly msgtype: 'video';
  readonly video: { readonly media_id: string; readonly thumb_media_id?: string; readonly title?: string; readonly description?: string };
}
export interface MusicReply {
  readonly msgtype: 'music';
  readonly music: { readonly title?: string; readonly description?: string; readonly musicurl: string; readonly hqmusicurl: string; readonly thumb_media_id: string };
}
export interface NewsArticle { readonly title: string; readonly description?: string; readonly url: string; readonly picurl?: string }
/** An external link card (WeChat sends one article per customer-service news message). */
export interface NewsReply { readonly msgtype: 'news'; readonly news: { readonly articles: readonly NewsArticle[] } }
export interface MpNewsReply { readonly msgtype: 'mpnews'; readonly mpnews: { readonly media_id: string } }
export interface MpNewsArticleReply { readonly msgtype: 'mpnewsarticle'; readonly mpnewsarticle: { readonly article_id: string } }
export interface MsgMenuItem { readonly id: string; readonly content: string }
export interface MsgMenuReply {
  readonly msgtype: 'msgmenu';
  readonly msgmenu: { readonly head_content?: string; readonly list: readonly MsgMenuItem[]; readonly tail_content?: string };
}
export interface WxCardReply { readonly msgtype: 'wxcard'; readonly wxcard: { readonly card_id: string } }
export interface MiniProgramPageReply {
  readonly msgtype: 'miniprogrampage';
  readonly miniprogrampage: { readonly title: string; readonly appid: string; readonly pagepath: string; readonly thumb_media_id: string };
}
/** "对方正在输入…" for up to 15 s; sent through /cgi-bin/message/custom/typing, not counted in the quota. */
export interface TypingReply { readonly msgtype: 'typing'; readonly command: 'Typing' | 'CancelTyping' }

export type CustomReply =
  | TextReply
  | ImageReply
  | VoiceReply
  | VideoReply
  | MusicReply
  | NewsReply
  | MpNewsReply
  | MpNewsArticleReply
  | MsgMenuReply
  | WxCardReply
  | MiniProgramPageReply;

export type Reply = CustomReply | TypingReply;

/** What a handler may return or pass to ctx.reply: a reply, a plain string (a text reply), or nothing. */
export type ReplyInput = Reply | string;
/** Empty entries (null, undefined, false, '') are skipped, so `[answer, extra && reply.image(id)]` works. */
export type MaybeReply = ReplyInput | null | undefined | false;
export type HandlerResult = MaybeReply | readonly MaybeReply[] | void;

export const CUSTOM_MSGTYPES = [
  'text',
  'image',
  'voice',
  'video',
  'music',
  'news',
  'mpnews',
  'mpnewsarticle',
  'msgmenu',
  'wxcard',
  'miniprogrampage',
] as const satisfies readonly CustomReply['msgtype'][];

const drop = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The builders. `reply.text('hi')`, `reply.image(mediaId)`, … */
export const reply = {
  text: (content: string): TextReply => ({ msgtype: 'text', text: { content } }),
  image: (mediaId: string): ImageReply => ({ msgtype: 'image', image: { media_id: mediaId } }),
  voice: (mediaId: string): VoiceReply => ({ msgtype: 'voice', voice: { media_id: mediaId } }),
  video: (v: { mediaId: string; thumbMediaId?: string; title?: string; description?: string }): VideoReply => ({
    msgtype: 'video',
    video: drop({ media_id: v.mediaId, thumb_media_id: v.thumbMediaId, title: v.title, description: v.description }),
  }),
  music: (m: { musicUrl: string; hqMusicUrl?: string; thumbMediaId: string; title?: string; description?: string }): MusicReply => ({
    msgtype: 'music',
    music: drop({ title: m.title, description: m.description, musicurl: m.musicUrl, hqmusicurl: m.hqMusicUrl ?? m.musicUrl, thumb_media_id: m.thumbMediaId }),
  }),
  news: (a: { title: string; url: string; description?: string; picUrl?: string }): NewsReply => ({
    msgtype: 'news',
    news: { articles: [drop({ title: a.title, description: a.description, url: a.url, picurl: a.picUrl })] },
  }),
  mpnews: (mediaId: string): MpNewsReply => ({ msgtype: 'mpnews', mpnews: { media_id: mediaId } }),
  mpnewsarticle: (articleId: string): MpNewsArticleReply => ({ msgtype: 'mpnewsarticle', mpnewsarticle: { article_id: articleId } }),
  msgmenu: (m: { head?: string; items: readonly MsgMenuItem[]; tail?: string }): MsgMenuReply => ({
    msgtype: 'msgmenu',
    msgmenu: drop({ head_content: m.head, list: m.items.map(({ id, content }) => ({ id, content })), tail_content: m.tail }),
  }),
  wxcard: (cardId: string): WxCardReply => ({ msgtype: 'wxcard', wxcard: { card_id: cardId } }),
  miniprogrampage: (p: { title: string; appid: string; pagepath: string; thumbMediaId: string }): MiniProgramPageReply => ({
    msgtype: 'miniprogrampage',
    miniprogrampage: { title: p.title, appid: p.appid, pagepath: p.pagepath, thumb_media_id: p.thumbMediaId },
  }),
  typing: (command: TypingReply['command'] = 'Typing'): TypingReply => ({ msgtype: 'typing', command }),
} as const;

export const isTyping = (r: Reply): r is TypingReply => r.msgtype === 'typing';

function isReply(value: unknown): value is Reply {
  if (value === null || typeof value !== 'object') return false;
  const t = (value as { msgtype?: unknown }).msgtype;
  return t === 'typing' || (CUSTOM_MSGTYPES as readonly unknown[]).includes(t);
}

/**
 * A handler's result as a flat list of replies, text split to WeChat's limit. Anything that is
 * not a reply is a bug in the handler: a TypeError (it will be retried, then kept in the failed set).
 */
export function normalizeReplies(result: HandlerResult, { maxTextBytes }: { maxTextBytes?: number } = {}): Reply[] {
  if (result === undefined || result === null) return [];
  const list: unknown[] = Array.isArray(result) ? result : [result];
  const out: Reply[] = [];
  for (const item of list) {
    if (item === undefined || item === null || item === false) continue;
    const r = typeof item === 'string' ? reply.text(item) : item;
    if (!isReply(r)) throw new TypeError(`a handler returned ${JSON.stringify(item)?.slice(0, 80)}: return a string, a reply.xxx(...) value or an array of them`);
    if (r.msgtype === 'text') {
      for (const part of splitText(r.text.content, maxTextBytes)) out.push(reply.text(part));
    } else {
      out.push(r);
    }
  }
  return out;
}
