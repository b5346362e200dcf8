// The ceiling for any Node receiver: node:http reading the body and answering `success`.
import { createServer } from 'node:http';
import { announce } from './announce.js';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('success');
  });
});
server.listen(0, '127.0.0.1', () => {
  announce((server.address() as { port: number }).port);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
