/**
 * Intake benchmark: how many orders per second the hub accepts durably, against a bare
 * node:http server on the same machine, and how GET /v1/orders/{id} latency grows with the store.
 *
 * Method
 * - Each server runs in its own child process (bench/bare-child.ts, bench/hub-child.ts); this
 *   process only runs autocannon, so load generator and server never share an event loop.
 * - The hub child is the product's loadConfig + startHub, all roles as `wasl start` (gateway,
 *   outbox relay, workers; embedded bus): WASL_ENV=sandbox, a fresh temp data dir (SQLite,
 *   WAL, synchronous=FULL), one "centre" channel for every service with a rate
 *   limit out of reach, and the production default log level "info" (one line per request plus
 *   one per accepted order), written to a file in the data dir as a deployment would.
 * - Both servers get the same load: autocannon, 50 connections, pipelining 1, 2 s warm-up then
 *   --duration s (10 by default) measured, POST /v1/orders with the OpenAPI example order for
 *   no-criminal-record-certificate and a fresh Idempotency-Key per request. Throughput counts
 *   2xx responses only; latencies are every 2xx response's, as floats. Non-2xx or socket errors
 *   are reported loudly. The store's order count, read before and after the measured window,
 *   must grow by the number of 2xx (plus at most the requests in flight at the cut-off).
 *   Each run prints the CPU used meanwhile by the server child, by autocannon (this process)
 *   and by anything else on the machine: the figures only compare on an otherwise idle machine.
 *   autocannon stops at its first 1 s tick after the duration, so a window can be 11 s; rates
 *   divide by the actual window.
 * - --pg: the same hub load with a PostgresStore in a fresh schema (dropped at the end) of
 *   WASL_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 * - GET scaling: orders seeded through the store API (buildOrder + createOrder, 2,000 in flight),
 *   their outbox events then marked published (else the hub's relay would spend the GET runs
 *   publishing them); then GET on ids drawn from a uniform sample of 10k stored ids: p50 at 10k
 *   and at 1M orders (100k with --quick or WASL_BENCH_QUICK=1), same connections and duration.
 *   With --pg on PostgreSQL too, where the API seeds only ~1.5k orders/s: past the first 10k,
 *   orders are cloned in SQL (bench/lib/pg-clone.ts).
 * - --cpu-prof: profile the SQLite hub child during its intake run (warm-up and measure), keep
 *   the .cpuprofile and print its hot spots by TypeScript file:line (the profiler slows the hub:
 *   that run's ratio is not the figure to quote); with --ceiling and --no-workers, those too.
 * - The floor (bench/floor-child.ts), always: node:http, JSON.parse, one row per request through
 *   the hub's own group commit and off-loop fdatasync, answered once on disk; no framework,
 *   authentication, validation, idempotency, timeline, outbox, audit or log. What any durable
 *   intake costs at least on this machine: the hub's ratio cannot exceed the floor's.
 * - wasl's work, bare (bench/e2e/work-floor-child.ts, WASL_WORK_FLOOR=intake), always: what the
 *   hub does for each accepted order — the bearer key, the contract's validation, the
 *   catalogue's checks and fees, the idempotency key, the order with its step, event and chained
 *   audit record in one durable write, the 202, two log lines — on node:http, without Fastify,
 *   the bus or Node-RED. The least wasl's promises cost an intake here, whatever the plumbing.
 * - --ceiling: also the gateway alone over a store that keeps nothing (bench/hub-child.ts,
 *   WASL_BENCH_CEILING): the most the durable hub could reach on this machine; before it,
 *   bare Fastify (bench/fastify-child.ts), the gateway's framework with nothing of wasl's; after
 *   it, the gateway's work bare (work-floor-child.ts, WASL_WORK_FLOOR=gateway): its checks and
 *   answer on node:http, nothing stored. The summary gives each server's CPU per request, what
 *   the gateway adds to its framework and to the bare version of its own work.
 * - --no-workers: also the hub with the roles of `wasl start --no-workers` (gateway and relay,
 *   WASL_BENCH_NO_WORKERS): the orders kept as by the hub above, their flows run nowhere — what
 *   accepting costs when the event loop does not also carry the orders' processing.
 * The last line is `intake: ratio X.XX (target >= 0.50)`: SQLite hub 2xx/s over bare 2xx/s.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { PostgresStore } from '../hub/store/postgres';
import { SqliteStore } from '../hub/store/sqlite';
import type { Store } from '../hub/store';
import { ratioLine } from './lib/ratio';
import { runLoad, type LoadResult, type LoadSpec } from './lib/load';
import { benchChannel, keyFactory, loadCatalogue, orderBody } from './lib/order';
import { cloneOrders } from './lib/pg-clone';
import { childEnv, cleanupSync, cpuSeconds, hubEnv, hubFlags, machineBusySeconds, startServer, tempDir, type Server } from './lib/procs';
import { summariseProfile } from './lib/profile';
import { fmt, markOutboxPublished, Reservoir, seedOrders } from './lib/seed';

const { values: argv } = parseArgs({
  options: { pg: { type: 'boolean' }, quick: { type: 'boolean' }, duration: { type: 'string' }, 'cpu-prof': { type: 'boolean' }, ceiling: { type: 'boolean' }, 'no-workers': { type: 'boolean' } },
});
const SECONDS = Number(argv.duration ?? process.env.WASL_BENCH_DURATION ?? 10);
if (!(SECONDS > 0 && SECONDS <= 600)) throw new Error('--duration must be 1 to 600 seconds');
const WARMUP = 2;
const CONNECTIONS = 50;
const BIG = argv.quick || process.env.WASL_BENCH_QUICK === '1' ? 100_000 : 1_000_000;
const SMALL = 10_000;
const SEED_MINUTES = Number(process.env.WASL_BENCH_SEED_MINUTES ?? 20);
const PG_URL = process.env.WASL_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const catalogue = loadCatalogue();
const body = orderBody(catalogue);
const bodyJson = JSON.stringify(body);
const channel = benchChannel();
const nextKey = keyFactory();
const auth = { authorization: `Bearer ${channel.key}` };
const pgSchemas: string[] = [];
const PG_OTHERS = 'other processes (PostgreSQL included)';

const ms = (v: number) => `${v.toFixed(2)} ms`;
const pause = (t: number) => new Promise((r) => setTimeout(r, t));

function postSpec(url: string, seconds: number): LoadSpec {
  return {
    url,
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: bodyJson,
    path: () => '/v1/orders',
    perRequestHeaders: () => ({ 'idempotency-key': nextKey() }),
    connections: CONNECTIONS,
    seconds,
  };
}

async function startHub(dataDir: string, extra: Record<string, string> = {}): Promise<Server> {
  return startServer(join(__dirname, 'hub-child.ts'), { env: hubEnv(dataDir, channel, extra), logFile: join(dataDir, 'hub.log'), nodeFlags: hubFlags });
}

/** bench/e2e/work-floor-child.ts in one of its intake modes, for this bench's channel. */
function workEnv(dataDir: string, mode: 'intake' | 'gateway'): NodeJS.ProcessEnv {
  return { ...childEnv(), WASL_DATA_DIR: dataDir, WASL_CHANNEL_KEYS: JSON.stringify([channel]), WASL_WORK_FLOOR: mode };
}

type Measured = LoadResult & { serverCores: number; loaderCores: number; otherCores: number };

/** A measured run, with the CPU the server child and this process (autocannon) used meanwhile. */
async function measure(server: Server, spec: LoadSpec): Promise<Measured> {
  const [s0, m0, l0] = [cpuSeconds(server.child.pid), machineBusySeconds(), process.cpuUsage()];
  const r = await runLoad(spec);
  const l = process.cpuUsage(l0);
  const serverCores = (cpuSeconds(server.child.pid) - s0) / r.seconds;
  const loaderCores = (l.user + l.system) / 1e6 / r.seconds;
  return { ...r, serverCores, loaderCores, otherCores: Math.max(0, (machineBusySeconds() - m0) / r.seconds - serverCores - loaderCores) };
}

function report(label: string, r: Measured, others = 'other processes'): void {
  console.log(
    `${label.padEnd(18)} ${fmt(r.rps).padStart(7)} req/s   p50 ${ms(r.p50)}   p99 ${ms(r.p99)}\n` +
      `  ${fmt(r.ok)} × 2xx in ${r.seconds.toFixed(1)} s; CPU cores used: server ${r.serverCores.toFixed(2)}, autocannon ${r.loaderCores.toFixed(2)}, ${others} ${r.otherCores.toFixed(2)}`,
  );
  if (others === 'other processes' && r.otherCores > 0.25) {
    console.log(`  ! disturbed: other processes took ${r.otherCores.toFixed(2)} of ${cpus().length} cores during this run; rerun on an idle machine`);
  }
  if (r.non2xx || r.errors || r.timeouts) {
    console.log(`!!! ${label}: ERRORS — ${fmt(r.non2xx)} non-2xx responses ${JSON.stringify(r.statusCodes)}, ${r.errors} socket errors, ${r.timeouts} timeouts !!!`);
  }
}

/** Up to 5 log lines of failed requests or errors, to say what went wrong. */
function logProblems(logFile: string): void {
  const lines = readFileSync(logFile, 'utf8').split('\n');
  const bad = lines.filter((l) => /"statusCode":[3-5]\d\d|"level":"(error|fatal)"/.test(l)).slice(0, 5);
  for (const l of bad) console.log(`    log: ${l.slice(0, 400)}`);
}

function checkGrowth(before: number, after: number, ok: number): void {
  const grew = after - before;
  const extra = grew - ok;
  const verdict =
    extra >= 0 && extra <= CONNECTIONS
      ? `OK${extra ? ` (${extra} more: requests in flight at the cut-off)` : ''}`
      : '!!! MISMATCH: the store did not grow by the number of 2xx responses !!!';
  console.log(`  store: ${fmt(before)} → ${fmt(after)} orders (+${fmt(grew)}) for ${fmt(ok)} 2xx: ${verdict}`);
}

/** Warm-up, then a measured POST run, with the store's order count read around it. */
async function intakeRun(label: string, server: Server, count?: () => Promise<number>, others?: string): Promise<Measured> {
  await runLoad(postSpec(server.url, WARMUP));
  await pause(300);
  const before = count ? await count() : 0;
  const r = await measure(server, postSpec(server.url, SECONDS));
  report(label, r, others);
  if (count) {
    await pause(500);
    checkGrowth(before, await count(), r.ok);
  }
  return r;
}

function sqliteCount(file: string): Promise<number> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return Promise.resolve((db.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n);
  } finally {
    db.close();
  }
}

async function pgCount(schema: string): Promise<number> {
  const c = new Client({ connectionString: PG_URL });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.orders`);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

async function pgReachable(): Promise<string | undefined> {
  const c = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function dropSchemas(): Promise<void> {
  if (!pgSchemas.length) return;
  const c = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    for (const s of pgSchemas.splice(0)) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await c.end();
  }
}

function newSchema(): string {
  const s = `wasl_bench_${Math.random().toString(36).slice(2, 10)}`;
  pgSchemas.push(s);
  return s;
}

type Grow = (count: number, sample: Reservoir, deadline: number) => Promise<void>;

/** Seeds `count` more orders through the store API (buildOrder + createOrder, 2,000 in flight). */
function seedVia(open: () => Promise<Store>, label: string): Grow {
  return async (count, sample, deadline) => {
    const store = await open();
    try {
      await seedOrders({ store, count, body, channel, catalogue, nextKey, sample, inFlight: 2000, deadline, label: `seed ${label}` });
      const t = Date.now();
      const n = await markOutboxPublished(store, deadline);
      console.log(`  seed ${label}: ${fmt(n)} outbox events marked published in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    } finally {
      await store.close();
    }
  };
}

/** GET p50 with SMALL then BIG orders stored; the hub is stopped while the store grows. */
type Scaling = { p50s: [number, number]; disturbed: boolean };

async function getScaling(label: string, grow: [Grow, Grow], hub: () => Promise<Server>): Promise<Scaling> {
  const sample = new Reservoir(10_000);
  const deadline = Date.now() + SEED_MINUTES * 60_000;
  const p50s: number[] = [];
  let disturbed = false;
  let seeded = 0;
  for (const [i, target] of [SMALL, BIG].entries()) {
    await grow[i === 0 ? 0 : 1](target - seeded, sample, deadline);
    seeded = target;
    const server = await hub();
    try {
      const spec: LoadSpec = { url: server.url, method: 'GET', headers: auth, path: () => `/v1/orders/${sample.pick()}`, connections: CONNECTIONS, seconds: WARMUP };
      await runLoad(spec);
      const r = await measure(server, { ...spec, seconds: SECONDS });
      report(`GET ${label} ${fmt(target)}`, r, label === 'postgres' ? PG_OTHERS : undefined);
      p50s.push(r.p50);
      disturbed ||= label !== 'postgres' && r.otherCores > 0.25;
    } finally {
      await server.stop();
    }
  }
  return { p50s: [p50s[0] ?? NaN, p50s[1] ?? NaN], disturbed };
}

const scaleLine = (label: string, { p50s: [a, b], disturbed }: Scaling) =>
  `  ${label.padEnd(9)} p50 at ${fmt(SMALL)}: ${ms(a)}   p50 at ${fmt(BIG)}: ${ms(b)}   growth ${(b / a).toFixed(2)}x (target <= 1.5x)` +
  (disturbed ? '  ! disturbed by other processes' : '');

async function main(): Promise<number> {
  const t0 = Date.now();
  console.log(`wasl intake bench: ${CONNECTIONS} connections, pipelining 1, ${WARMUP} s warm-up + ${SECONDS} s measured per target`);
  console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other processes skew the figures)`);
  console.log(`hub: sandbox, log level info to <data dir>/hub.log, channel ${channel.channel} (centre, all services, rate limit 1e9/min)\n`);
  const summary: string[] = [];

  const bare = await startServer(join(__dirname, 'bare-child.ts'));
  const bareR = await intakeRun('bare node:http', bare).finally(() => bare.stop());
  // The least any durable intake pays here: the target is read against it.
  const floor = await startServer(join(__dirname, 'floor-child.ts'));
  const floorR = await intakeRun('floor: 1 row', floor).finally(() => floor.stop());

  // wasl's own intake work with none of its plumbing (bench/e2e/work-floor-child.ts): what the hub's promises cost here.
  const workDir = tempDir('work');
  const work = await startServer(join(__dirname, 'e2e', 'work-floor-child.ts'), { env: workEnv(workDir, 'intake'), logFile: join(workDir, 'work.log') });
  const workR = await intakeRun("wasl's work, bare", work, () => sqliteCount(join(workDir, 'wasl.db'))).finally(() => work.stop());

  const dir = tempDir('sqlite');
  const profile = argv['cpu-prof'] ? join(tmpdir(), `wasl-bench-hub-${Date.now()}.cpuprofile`) : undefined;
  const hub = await startHub(dir, profile ? { WASL_BENCH_CPU_PROFILE: profile } : {});
  const dbFile = join(dir, 'wasl.db');
  const hubR = await intakeRun('hub sqlite', hub, () => sqliteCount(dbFile)).finally(() => hub.stop());
  if (hubR.non2xx || hubR.errors) logProblems(join(dir, 'hub.log'));
  console.log(`  hub log: ${fmt(statSync(join(dir, 'hub.log')).size / 1024)} KiB\n`);
  const ratio = (measuredRatio = hubR.rps / bareR.rps);
  summary.push(`  bare node:http  ${fmt(bareR.rps).padStart(7)} req/s   p99 ${ms(bareR.p99)}`);
  const disturbed = bareR.otherCores > 0.25 || hubR.otherCores > 0.25 ? '  ! disturbed by other processes' : '';
  summary.push(`  hub sqlite      ${fmt(hubR.rps).padStart(7)} req/s   p99 ${ms(hubR.p99)}   ratio ${ratio.toFixed(2)} (target >= 0.50)${hubR.non2xx || hubR.errors ? '  !!! HAD ERRORS' : ''}${disturbed}`);
  summary.push(
    `  floor           ${fmt(floorR.rps).padStart(7)} req/s   p99 ${ms(floorR.p99)}   ratio ${(floorR.rps / bareR.rps).toFixed(2)} (node:http, JSON.parse, one row through the hub's group commit; nothing else)`,
  );
  summary.push(
    `  wasl's work     ${fmt(workR.rps).padStart(7)} req/s   p99 ${ms(workR.p99)}   ratio ${(workR.rps / bareR.rps).toFixed(2)} (wasl's intake, bare: node:http, the gateway's checks, the order, step, event, audit record and key in one durable write, logs)`,
  );
  if (argv['no-workers']) {
    // The same durable intake, the orders' flows elsewhere: what accepting alone costs.
    const dir = tempDir('no-workers');
    const intakeProfile = profile?.replace(/\.cpuprofile$/, '-no-workers.cpuprofile');
    const intake = await startHub(dir, { WASL_BENCH_NO_WORKERS: '1', ...(intakeProfile ? { WASL_BENCH_CPU_PROFILE: intakeProfile } : {}) });
    const iR = await intakeRun('hub, no workers', intake, () => sqliteCount(join(dir, 'wasl.db'))).finally(() => intake.stop());
    if (intakeProfile) console.log(existsSync(intakeProfile) ? `no workers: ${intakeProfile}\n${summariseProfile(intakeProfile)}` : '--cpu-prof: no profile of the hub without workers written');
    summary.push(`  no workers      ${fmt(iR.rps).padStart(7)} req/s   p99 ${ms(iR.p99)}   ratio ${(iR.rps / bareR.rps).toFixed(2)} (wasl start --no-workers: the orders kept, their flows run elsewhere)${iR.non2xx || iR.errors ? '  !!! HAD ERRORS' : ''}`);
  }
  if (argv.ceiling) {
    // The framework alone, then the same gateway over a store that keeps nothing: the most durable intake could reach.
    const fastify = await startServer(join(__dirname, 'fastify-child.ts'));
    const fR = await intakeRun('bare Fastify', fastify).finally(() => fastify.stop());
    summary.push(`  bare Fastify    ${fmt(fR.rps).padStart(7)} req/s   p99 ${ms(fR.p99)}   ratio ${(fR.rps / bareR.rps).toFixed(2)} (the gateway's framework: its JSON parser, one route answering 202; nothing else)`);
    const ceilingProfile = profile?.replace(/\.cpuprofile$/, '-ceiling.cpuprofile');
    const ceiling = await startHub(tempDir('ceiling'), { WASL_BENCH_CEILING: '1', ...(ceilingProfile ? { WASL_BENCH_CPU_PROFILE: ceilingProfile } : {}) });
    const cR = await intakeRun('gateway, no store', ceiling).finally(() => ceiling.stop());
    if (ceilingProfile) console.log(existsSync(ceilingProfile) ? `gateway alone: ${ceilingProfile}\n${summariseProfile(ceilingProfile)}` : '--cpu-prof: no profile of the gateway alone written');
    summary.push(`  gateway alone   ${fmt(cR.rps).padStart(7)} req/s   p99 ${ms(cR.p99)}   ratio ${(cR.rps / bareR.rps).toFixed(2)} (the ceiling: Fastify, auth, validation, intake, serialisation, logs; nothing stored)`);
    const gatewayWorkDir = tempDir('gateway-work');
    const gatewayWork = await startServer(join(__dirname, 'e2e', 'work-floor-child.ts'), { env: workEnv(gatewayWorkDir, 'gateway'), logFile: join(gatewayWorkDir, 'work.log') });
    const gwR = await intakeRun("gateway's work, bare", gatewayWork).finally(() => gatewayWork.stop());
    summary.push(`  gateway's work  ${fmt(gwR.rps).padStart(7)} req/s   p99 ${ms(gwR.p99)}   ratio ${(gwR.rps / bareR.rps).toFixed(2)} (the gateway alone's work, bare: node:http, auth, validation, intake, serialisation, logs; nothing stored)`);
    // CPU per request of each server: what the gateway adds to its framework, and the framework to node:http.
    const us = (r: Measured) => ((r.serverCores / r.rps) * 1e6).toFixed(0);
    summary.push(`  server CPU per request: bare node:http ${us(bareR)} µs, bare Fastify ${us(fR)} µs, gateway alone ${us(cR)} µs, gateway's work bare ${us(gwR)} µs, wasl's intake work bare ${us(workR)} µs`);
  }
  if (profile) {
    console.log(existsSync(profile) ? `${profile} (kept; opens in Chrome DevTools)\n${summariseProfile(profile)}` : '--cpu-prof: no profile written');
    console.log('(profiled run: the hub figures above are slowed by the profiler)\n');
  }

  const pgDown = argv.pg ? await pgReachable() : undefined;
  if (argv.pg && pgDown) {
    console.log(`PostgreSQL at ${PG_URL} is unreachable (${pgDown}): skipping the PostgreSQL runs\n`);
    summary.push('  hub postgres    skipped: PostgreSQL unreachable');
  } else if (argv.pg) {
    const schema = newSchema();
    const pgHub = await startHub(tempDir('pg'), { DATABASE_URL: PG_URL, WASL_BENCH_PG_SCHEMA: schema });
    const pgR = await intakeRun('hub postgres', pgHub, () => pgCount(schema), PG_OTHERS).finally(() => pgHub.stop());
    console.log('');
    const flag = pgR.non2xx || pgR.errors ? '  !!! HAD ERRORS' : '';
    summary.push(`  hub postgres    ${fmt(pgR.rps).padStart(7)} req/s   p99 ${ms(pgR.p99)}   ratio ${(pgR.rps / bareR.rps).toFixed(2)}${flag}`);
  }

  summary.push(`GET /v1/orders/{id}, ${CONNECTIONS} connections, ids drawn from a uniform 10k sample of the stored orders:`);
  const getDir = tempDir('get');
  const seedSqlite = seedVia(async () => new SqliteStore({ file: join(getDir, 'wasl.db') }), 'sqlite');
  const sq = await getScaling('sqlite', [seedSqlite, seedSqlite], () => startHub(getDir));
  summary.push(scaleLine('sqlite', sq));
  if (argv.pg && !pgDown) {
    const schema = newSchema();
    const seedPg = seedVia(() => PostgresStore.open({ connectionString: PG_URL, schema, poolSize: 32 }), 'postgres');
    const clonePg: Grow = (count, sample, deadline) => cloneOrders(PG_URL, schema, count, sample.pick(), sample, deadline);
    const pg = await getScaling(
      'postgres',
      [seedPg, clonePg],
      () => startHub(tempDir('pg-get'), { DATABASE_URL: PG_URL, WASL_BENCH_PG_SCHEMA: schema }),
    ).catch((err: Error): Scaling => (console.log(`PostgreSQL GET scaling failed: ${err.message}`), { p50s: [NaN, NaN], disturbed: false }));
    summary.push(scaleLine('postgres', pg));
  } else summary.push('  (PostgreSQL not measured: pass --pg)');

  console.log(`\n== summary (${((Date.now() - t0) / 1000).toFixed(0)} s) ==\nPOST /v1/orders, ${CONNECTIONS} connections, ${SECONDS} s after ${WARMUP} s warm-up:`);
  console.log(summary.join('\n'));
  return ratio;
}

let measuredRatio = NaN;
let finished = false;
async function finish(ratio: number, code: number): Promise<void> {
  if (finished) return;
  finished = true;
  cleanupSync();
  const timeout = pause(15_000).then(() => Promise.reject(new Error('timed out')));
  await Promise.race([dropSchemas(), timeout]).catch((err: Error) => console.log(`could not drop PostgreSQL schemas: ${err.message}`));
  console.log(ratioLine('intake', ratio, 0.5));
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void finish(measuredRatio, 130));

main().then(
  (ratio) => finish(ratio, 0),
  (err: unknown) => {
    console.log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return finish(measuredRatio, 1);
  },
);
