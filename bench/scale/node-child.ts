/**
 * One wasl process of bench:scale: the product's loadConfig + startHub with the roles of
 * `wasl start --no-workers` (BENCH_SCALE_ROLE=gateway: gateway and outbox relay) or of
 * `wasl worker` (BENCH_SCALE_ROLE=worker: the Node-RED flows consuming the bus), as hub/cli.ts
 * starts them, on DATABASE_URL and AMQP_URL. Two things the CLI does not do:
 * - the civil registry's sandbox endpoint is moved to the bench's own ministry
 *   (BENCH_SCALE_MINISTRY_URL, on a free port) through connectors/sandbox-overrides, as the
 *   sandbox runner does, so the bench never takes the simulators' fixed ports;
 * - every PostgreSQL query (one round trip: pg sends parse/bind/execute/sync together) is
 *   counted, and reported on 'stats' as { stats: { queries } }.
 * Reports { ready: url } (a worker, which does not listen, reports 'worker'); 'stop' closes the
 * hub and exits. With WASL_BENCH_CPU_PROFILE=<file> it profiles from ready to stop (bench/lib/cpu-profile.ts).
 */
import pg from 'pg';
import { overrideSandbox } from '../../connectors/sandbox-overrides';
import { loadConfig } from '../../hub/config';
import { startHub, type Roles } from '../../hub/hub';
import { sandboxExtension } from '../../sandbox/extension';
import { startProfile } from '../lib/cpu-profile';

let queries = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  queries++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

const ROLES: Record<string, Roles> = {
  gateway: { gateway: true, relay: true, workers: false },
  worker: { gateway: false, relay: false, workers: true },
};

async function main(): Promise<void> {
  const role = process.env.BENCH_SCALE_ROLE ?? '';
  const roles = ROLES[role];
  if (!roles) throw new Error(`BENCH_SCALE_ROLE must be gateway or worker, not "${role}"`);
  const ministry = process.env.BENCH_SCALE_MINISTRY_URL;
  if (ministry) overrideSandbox({ endpoints: { 'moi-civil-registry': ministry } });
  const hub = await startHub(loadConfig(process.env), { ...sandboxExtension, roles });
  const profileTo = process.env.WASL_BENCH_CPU_PROFILE;
  const writeProfile = profileTo ? await startProfile() : undefined;
  process.send?.({ ready: hub.url ?? 'worker' });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void (writeProfile && profileTo ? writeProfile(profileTo) : Promise.resolve()).finally(() => hub.close().finally(() => process.exit(0)));
  };
  process.on('message', (m) => {
    if (m === 'stop') stop();
    else if (m === 'stats') process.send?.({ stats: { queries, known: hub.store.knownOrders } });
  });
  process.on('disconnect', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`scale node-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
