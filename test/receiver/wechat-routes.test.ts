import { describe, expect, it } from 'vitest';
import { wechatPathAppid } from '../../src/receiver/wechat-routes.js';

describe('wechatPathAppid', () => {
  it.each([
    ['/wechat', ''],
    ['/wechat/', ''],
    ['/wechat/wx123', 'wx123'],
    ['/wechat/wx123/', 'wx123'],
    ['/wechat/wx%31', 'wx1'],
    ['/wechat/%E0%A4%A', '%E0%A4%A'],
  ])('%s → %j', (path, appid) => {
    expect(wechatPathAppid(path)).toBe(appid);
  });

  it.each(['/', '/wechatx', '/wechat//', '/wechat/a/b', '/healthz', '/wechat-x/y'])('%s is not a WeChat path', (path) => {
    expect(wechatPathAppid(path)).toBeUndefined();
  });
});
