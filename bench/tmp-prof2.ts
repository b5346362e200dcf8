import { buildPush, textMessage, type PushMode } from '../src/dev/pushes.js';
import { runLoad } from './lib/load.js';
const ACCOUNT = { appid: 'wxbench000000001', token: 'benchtoken', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };
const mode = (process.argv[3] ?? 'plain') as PushMode;
let seq = 0;
const pool = Array.from({ length: 10000 }, () => { seq++; return buildPush(ACCOUNT, textMessage({ openid: 'oB' + (seq % 100), content: 'hello ' + seq, msgId: `${Date.now()}${String(seq).padStart(7, '0')}` }), { mode }); });
const r = await runLoad(process.argv[2]!, pool, { durationS: 8, connections: 20, overallRate: 1000 });
console.log(mode, r);
