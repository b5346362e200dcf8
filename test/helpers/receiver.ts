// Starts a real receiver on a random port against real Redis, with its own prefix and spool.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { createReceiver, type Receiver } from '../../src/receiver/create-receiver.js';
import { captureLogs, type LogCapture } from './log-capture.js';
import { deleteKeys, REDIS_URL, testPrefix } from './redis-keys.js';
import { TEST_SECRETS } from './secrets.js';

export const TEST_APP = {
  appid: 'wxtest0000000001',
  token: TEST_SECRETS.token,
  encodingAESKey: TEST_SECRETS.encodingAESKey,
  appsecret: TEST_SECRETS.appsecret,
} as const;

export interface TestReceiver {
  readonly url: string;
  readonly config: Config;
  readonly receiver: Receiver;
  readonly logs: LogCapture;
  close(): Promise<void>;
}

export async function startTestReceiver(env: Record<string, string> = {}): Promise<TestReceiver> {
  const prefix = testPrefix('recv');
  const spoolDir = await mkdtemp(join(tmpdir(), 'wxgate-spool-'));
  const config = loadConfig({
    REDIS_URL,
    WXGATE_PREFIX: prefix,
    WXGATE_SPOOL_DIR: spoolDir,
    WECHAT_APPID: TEST_APP.appid,
    WECHAT_TOKEN: TEST_APP.token,
    WECHAT_ENCODING_AES_KEY: TEST_APP.encodingAESKey,
    ...env,
  });
  const logs = captureLogs();
  const receiver = createReceiver({ config, logger: logs.logger });
  const { url } = await receiver.listen(0, '127.0.0.1');
  return {
    url,
    config,
    receiver,
    logs,
    async close() {
      await receiver.close();
      if (!config.redisClusterNodes) await deleteKeys(config.prefix, config.redisUrl); // a cluster of the test's own goes with its nodes
      await rm(spoolDir, { recursive: true, force: true });
    },
  };
}
