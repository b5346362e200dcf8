// wxgate's real receiver (createReceiver), configured from the environment like `wxgate serve`.
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createReceiver } from '../../src/receiver/create-receiver.js';
import { announce } from './announce.js';

const config = loadConfig();
// Logs go to stdout, which the harness points at a file: the receive line is paid for, as in production.
const logger = createLogger({ level: config.logLevel, destination: config.logFile });
const receiver = createReceiver({ config, logger });
const { url } = await receiver.listen(0, '127.0.0.1');
announce(Number(new URL(url).port));
process.on('SIGTERM', () => void receiver.close().then(() => process.exit(0)));
