/**
 * The providers' sandbox endpoints name fixed ports (8091, 8092), so the flow tests run their
 * simulators there. On a shared machine another run may hold a port for a while: wait for it.
 */
export async function onFixedPort<T>(start: () => Promise<T>, waitMs = 60_000): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await start();
    } catch (err) {
      if ((err as { code?: string }).code !== 'EADDRINUSE' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
