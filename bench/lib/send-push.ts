// One POST of a built push over a keep-alive agent; resolves to the status code, 0 when the
// request failed (the load generators count those apart).
import { type Agent, request } from 'node:http';
import type { BuiltPush } from '../../src/dev/pushes.js';

export function sendPush(agent: Agent, url: URL, push: BuiltPush): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ agent, host: url.hostname, port: url.port, path: push.path, method: 'POST', headers: { 'content-type': 'text/xml' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(push.body);
  });
}
