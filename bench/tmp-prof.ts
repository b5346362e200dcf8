import { buildPush, textMessage } from '../src/dev/pushes.js';
import { runLoad } from './lib/load.js';
const ACCOUNT = { appid: 'wxbench000000001', token: 'benchtoken', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };
const mode = (process.argv[3] ?? 'plain') as 'plain';
const pool = Array.from({ length: 60000 }, (_, i) => buildPush(ACCOUNT, textMessage({ openid: 'oB' + (i % 100), content: 'hi ' + i, msgId: `${Date.now()}${String(i).padStart(6, '0')}` }), { mode }));
const r = await runLoad(process.argv[2]!, pool, { durationS: 8 });
console.log(mode, r);
