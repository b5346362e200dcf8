// What WeChat accepts as the answer to a push: the bytes `success`, or nothing at all (an empty
// body: "字节长度为0的空字符串"), or a passive reply (被动回复) XML. Anything else — JSON, an HTML
// error page, "fail", a non-200 status — is 回应失败 ("得到的回应不合法"): WeChat retries and the
// user sees "该公众号暂时无法提供服务，请稍后再试".
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
// We are strict on purpose (no trimming): the simulator should find what WeChat might refuse.

export type AnswerVerdict = 'ack' | 'passive' | 'invalid';

const PASSIVE = /^<xml>[\s\S]*<(MsgType|Encrypt)>[\s\S]*<\/xml>\s*$/;

export function classifyAnswer(status: number, body: string): AnswerVerdict {
  if (status !== 200) return 'invalid';
  if (body === '' || body === 'success') return 'ack';
  return PASSIVE.test(body) ? 'passive' : 'invalid';
}
