// A test of one handler, with Node's own test runner: `npm test` in the project `wxgate init`
// makes (node --import tsx --test). runHandler routes a message as a worker does and collects
// the replies it would send, with no Redis and no WeChat.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runHandler } from 'wxgate/handlers';
import handlers from './handlers.js';

test('a text message is echoed back', async () => {
  const { route, replies } = await runHandler(handlers, { MsgType: 'text', Content: '你好', MsgId: '1' });
  assert.equal(route, 'text');
  assert.deepEqual(replies, [{ msgtype: 'text', text: { content: '你说：你好' } }]);
});
