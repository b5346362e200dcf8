import { describe, expect, it } from 'vitest';
import { forgedPath } from '../../bench/faults/forgery.js';
import { buildPush, textMessage } from '../../src/dev/pushes.js';

describe('forgedPath', () => {
  it('keeps the genuine signature, timestamp and nonce, drops encrypt_type and msg_signature, sets the forged openid', () => {
    const genuine = buildPush({ appid: 'wxtest', token: 't', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' }, textMessage({ openid: 'o_real', content: 'x', msgId: '1' }), { mode: 'aes', timestamp: '1700000000', nonce: 'n1' });
    const q = new URLSearchParams(forgedPath(genuine, 'o_forged').split('?')[1]);
    expect(q.get('encrypt_type')).toBeNull();
    expect(q.get('msg_signature')).toBeNull();
    expect(q.get('signature')).toBe(genuine.query.signature);
    expect(q.get('timestamp')).toBe('1700000000');
    expect(q.get('nonce')).toBe('n1');
    expect(q.get('openid')).toBe('o_forged');
  });
});
