/**
 * Starts a simulator on a given port (the flow tests start theirs on free ports, and one again on
 * the port it had, once a connector points at it). On a shared machine another run may hold the
 * port for a while: wait for it.
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
