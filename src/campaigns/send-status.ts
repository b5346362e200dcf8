// A send's record states and what a WeChat delivery report (TEMPLATESENDJOBFINISH Status) means.
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
export const SEND_STATUSES = ['queued', 'sent', 'delivered', 'blocked', 'failed', 'cancelled'] as const;
export type SendStatus = (typeof SEND_STATUSES)[number];

export function isSendStatus(s: string): s is SendStatus {
  return (SEND_STATUSES as readonly string[]).includes(s);
}

/** The same order as the database's wxgate_send_rank: a record only moves forward. */
export function sendRank(status: SendStatus): number {
  return status === 'queued' ? 0 : status === 'cancelled' ? 1 : status === 'sent' ? 2 : 3;
}

/** `success` → delivered; `failed:user block` → blocked (the user refuses the account's messages); anything else failed. */
export function reportStatus(wechatStatus: string): 'delivered' | 'blocked' | 'failed' {
  const s = wechatStatus.trim().toLowerCase();
  if (s === 'success') return 'delivered';
  if (s.replace(/\s+/g, '') === 'failed:userblock') return 'blocked';
  return 'failed';
}
