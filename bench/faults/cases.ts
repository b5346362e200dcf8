// The fault suite's cases, in the order they run (`npm run bench -- faults`; issue 14).
import type { FaultCase } from './case.js';
import { clusterFailover } from './cluster-failover.js';
import { dataLoss } from './data-loss.js';
import { forgery } from './forgery.js';
import { wechatRetries } from './wechat-retries.js';

export const FAULT_CASES: readonly FaultCase[] = [clusterFailover, wechatRetries, forgery, dataLoss];
