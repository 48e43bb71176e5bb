/**
 * The hub under test, as a child of bench/intake.ts: the product's own loadConfig + startHub,
 * configured by environment variables like `wasl start`. With WASL_BENCH_PG_SCHEMA it opens a
 * PostgresStore in that schema (the CLI cannot) and passes it as opts.store. Reports its URL
 * over IPC; 'stop' closes the hub and exits. With WASL_BENCH_CPU_PROFILE=<file> it profiles
 * from ready to stop and writes the profile there. With WASL_BENCH_CEILING=1 it is the gateway
 * alone over a store that keeps nothing (no relay, no workers, no flows): what the HTTP layer,
 * authentication, validation, intake and serialisation cost before any durability. With
 * WASL_BENCH_SQL_COUNT=<file> it counts SQLite statements, writes and commits (lib/sql-count.ts).
 * With WASL_BENCH_NO_WORKERS=1 it has the roles of `wasl start --no-workers` (gateway and relay):
 * the orders are kept, their flows run nowhere.
 */
import { loadConfig } from '../hub/config';
import { startHub, type HubOptions } from '../hub/hub';
import type { Store } from '../hub/store';
import { PostgresStore } from '../hub/store/postgres';
import { sandboxExtension } from '../sandbox/extension';
import { startProfile } from './lib/cpu-profile';
import { countSql } from './lib/sql-count';

async function main(): Promise<void> {
  if (process.env.WASL_BENCH_SQL_COUNT) countSql(process.env.WASL_BENCH_SQL_COUNT);
  const config = loadConfig(process.env);
  const schema = process.env.WASL_BENCH_PG_SCHEMA;
  // What `wasl start` hands the hub: the sandbox's simulators (WASL_SIMULATORS=off skips them) and certificate reader.
  const opts: HubOptions = { ...sandboxExtension };
  if (process.env.WASL_BENCH_CEILING === '1') {
    opts.store = nullStore();
    opts.roles = { gateway: true, relay: false, workers: false };
    opts.runtime = false;
  } else if (process.env.WASL_BENCH_NO_WORKERS === '1') {
    opts.roles = { gateway: true, relay: true, workers: false };
  }
  if (schema && process.env.WASL_BENCH_CEILING !== '1') {
    if (!config.databaseUrl) throw new Error('WASL_BENCH_PG_SCHEMA needs DATABASE_URL');
    opts.store = await PostgresStore.open({ connectionString: config.databaseUrl, schema });
  }
  const hub = await startHub(config, opts);
  const profileTo = process.env.WASL_BENCH_CPU_PROFILE;
  const writeProfile = profileTo ? await startProfile() : undefined;
  process.send?.({ ready: hub.url });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void (writeProfile && profileTo ? writeProfile(profileTo) : Promise.resolve()).finally(() => hub.close().finally(() => process.exit(0)));
  };
  process.on('message', (m) => m === 'stop' && stop());
  process.on('disconnect', stop);
}

/** A store that accepts every order and keeps none: the gateway's own cost, measured alone. */
function nullStore(): Store {
  const base: Partial<Store> = {
    kind: 'sqlite',
    createOrder: async (order) => ({ order, replayed: false }),
    outboxPending: async () => [],
    listDeadLetters: async () => [],
    listCallbacks: async () => [],
    tryLease: async () => false,
  };
  return new Proxy(base, { get: (t, k) => (k in t ? t[k as keyof Store] : async () => undefined) }) as Store;
}

main().catch((err: unknown) => {
  process.stderr.write(`hub-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
