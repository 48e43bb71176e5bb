/**
 * The canned ministry of bench:e2e, in a process of its own so that neither side under test
 * shares its event loop: the sandbox's civil-registry simulator (the real WSDL at `?wsdl`, valid
 * X-Road envelopes, one answer per X-Road message id), with a fixed delay before each answer.
 * On 'stats' it reports how many calls it took and how many repeated an earlier message id.
 */
import { startCivilRegistry } from '../../sandbox/simulators';

async function main(): Promise<void> {
  const sim = await startCivilRegistry({ port: Number(process.env.BENCH_E2E_MINISTRY_PORT ?? 0), delayMs: Number(process.env.BENCH_E2E_MINISTRY_MS ?? 0) });
  process.on('message', (m) => {
    if (m === 'stats') {
      const calls = sim.requests.length;
      const repeated = sim.requests.filter((r) => r.repeated).length;
      const orders = new Set(sim.requests.map((r) => r.orderId).filter(Boolean)).size;
      process.send?.({ stats: { calls, repeated, orders } });
    } else if (m === 'reset') {
      sim.requests.length = 0;
      process.send?.({ reset: true });
    } else if (m === 'stop') {
      void sim.close().finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ready: sim.url });
}

main().catch((err: unknown) => {
  process.stderr.write(`ministry-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
