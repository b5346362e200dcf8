// The accounts this receiver serves, each with its cipher built once at start.
import type { AppConfig } from '../config.js';
import { RequestError } from '../errors.js';
import { createMessageCipher, type MessageCipher } from '../wechat/cipher.js';

export interface RegisteredApp {
  readonly config: AppConfig;
  readonly cipher?: MessageCipher;
}

export interface AppRegistry {
  /** `appid` undefined means plain /wechat: the single account, if there is exactly one default. */
  resolve(appid: string | undefined): RegisteredApp;
}

export function createAppRegistry(apps: readonly AppConfig[], { defaultAppid }: { defaultAppid?: string } = {}): AppRegistry {
  const byId = new Map<string, RegisteredApp>();
  for (const config of apps) {
    const cipher = config.encodingAESKey
      ? createMessageCipher({ appid: config.appid, encodingAESKey: config.encodingAESKey, previousKey: config.encodingAESKeyPrevious })
      : undefined;
    byId.set(config.appid, { config, cipher });
  }
  return {
    resolve(appid) {
      const app = byId.get(appid ?? defaultAppid ?? '');
      if (!app) {
        throw new RequestError('unknown_app', appid === undefined ? 'several accounts are configured: use /wechat/:appid' : 'unknown appid');
      }
      return app;
    },
  };
}
