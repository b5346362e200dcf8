// wechat-crypto (co-wechat's WXBizMsgCrypt, installed with it): an implementation independent of
// ours, to check what wxgate encrypts and signs (passive replies, issue 17).
import { createRequire } from 'node:module';

export interface WechatCrypto {
  getSignature(timestamp: string, nonce: string, encrypt: string): string;
  decrypt(text: string): { message: string; id: string };
}

export const WXBizMsgCrypt = createRequire(import.meta.url)('wechat-crypto') as new (token: string, encodingAESKey: string, id: string) => WechatCrypto;
