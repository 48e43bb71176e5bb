import type http from 'node:http';

/** Answers 200 with a body that never ends, as fast as the client reads it, until the client lets go. */
export function answerEndlessly(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const block = Buffer.alloc(64 * 1024, 0x61);
  const pump = () => {
    while (!res.destroyed && res.write(block));
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}
