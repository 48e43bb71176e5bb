/**
 * The hub under test, as a child of bench/intake.ts: the product's own loadConfig + startHub,
 * configured by environment variables like `wasl start`. With WASL_BENCH_PG_SCHEMA it opens a
 * PostgresStore in that schema (the CLI cannot) and passes it as opts.store. Reports its URL
 * over IPC; 'stop' closes the hub (and so writes a --cpu-prof profile) and exits.
 */
import { loadConfig } from '../hub/config';
import { startHub, type HubOptions } from '../hub/hub';
import { PostgresStore } from '../hub/store/postgres';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const schema = process.env.WASL_BENCH_PG_SCHEMA;
  const opts: HubOptions = {};
  if (schema) {
    if (!config.databaseUrl) throw new Error('WASL_BENCH_PG_SCHEMA needs DATABASE_URL');
    opts.store = await PostgresStore.open({ connectionString: config.databaseUrl, schema });
  }
  const hub = await startHub(config, opts);
  process.send?.({ ready: hub.url });
  const stop = () => void hub.close().finally(() => process.exit(0));
  process.on('message', (m) => m === 'stop' && stop());
  process.on('disconnect', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`hub-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
