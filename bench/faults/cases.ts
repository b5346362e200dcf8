// The fault suite's cases, in the order they run (`npm run bench -- faults`; issue 14).
import type { FaultCase } from './case.js';
import { clusterFailover } from './cluster-failover.js';
import { dataLoss } from './data-loss.js';
import { forgery } from './forgery.js';
import { redisOutage } from './redis-outage.js';
import { serveTakeover } from './serve-takeover.js';
import { slowClient } from './slow-client.js';
import { wechatRetries } from './wechat-retries.js';
import { workerKill } from './worker-kill.js';

export const FAULT_CASES: readonly FaultCase[] = [redisOutage, workerKill, serveTakeover, wechatRetries, forgery, dataLoss, slowClient, clusterFailover];
