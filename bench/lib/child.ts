/** The child side of lib/procs.ts's startServer: listen on a free loopback port, report it over IPC, stop when told or orphaned. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export function serveAsChild(server: Server, onStop: () => void | Promise<void>): void {
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.send?.({ ready: `http://127.0.0.1:${port}` });
  });
  const stop = () =>
    server.close(() => {
      void Promise.resolve()
        .then(onStop)
        .finally(() => process.exit(0));
    });
  process.on('message', (m) => m === 'stop' && stop());
  process.on('disconnect', stop);
}
