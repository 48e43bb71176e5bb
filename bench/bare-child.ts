/**
 * The baseline: a bare node:http server that reads the request body and answers 202 with a
 * small JSON, doing nothing else. Run as a child of bench/intake.ts; reports its URL over IPC.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const reply = Buffer.from(JSON.stringify({ id: 'ord_01J00000000000000000000000', status: 'received' }));

const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': reply.length });
    res.end(reply);
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ ready: `http://127.0.0.1:${port}` });
});
process.on('message', (m) => {
  if (m === 'stop') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
