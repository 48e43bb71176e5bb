/**
 * `npm run bench:e2e` — wasl's durable end-to-end path against the way such a service is wired
 * today, both calling the same canned SOAP ministry, in one run.
 *
 * The processes (each its own, so no two share an event loop; this one only drives load)
 * - the canned ministry (bench/e2e/ministry-child.ts): the sandbox's civil-registry simulator
 *   on its provider file's sandbox port (8091), answering after BENCH_E2E_MINISTRY_MS (default
 *   20 ms, a fast ministry; 0 makes the comparison one of CPU cost alone);
 * - wasl (bench/hub-child.ts, as `wasl start` on the embedded default: SQLite with
 *   synchronous=FULL, embedded durable queue, Node-RED with the repository's flows): orders
 *   POSTed to the gateway run through flows/civil-registry-individual-extract (order-in →
 *   submitted-to-provider → map → wasl-call, journaled, X-Road SOAP → map → provider-completed);
 * - the baseline (bench/e2e/plain-child.ts): plain Node-RED, `http in → function (cached soap
 *   client) → http response`, nothing durable.
 *
 * What is measured
 * - direct: the ministry's own p50, called one request at a time from here with a raw keep-alive
 *   POST of a valid envelope (the floor both sides add to).
 * - added latency at light load: 200 requests/orders at 25 per second, one after another. The
 *   plain flow's is its HTTP response time; wasl's is, from the order's own timeline, the time
 *   from acceptance (`received`) to `provider-completed` — what a citizen waits on either way.
 *   Printed as p50 minus the direct p50.
 * - throughput: 50 connections for BENCH_E2E_SECONDS (default 10). The plain flow: 2xx
 *   responses per second (each one a finished ministry call). wasl: every order accepted in the
 *   window, counted until the last one reached `provider-completed`, over the time from the
 *   first request to that last completion (the backlog the gateway accepts faster than the flow
 *   drains is part of the figure, not left out).
 * - checks, from the ministry's own record: one call per order and no repeated message id for
 *   wasl (exactly once); every order completed, none rejected or failed.
 * - the floor (bench/e2e/floor-child.ts), measured as wasl is: the least a durable, exactly-once
 *   path pays on this machine (order stored, journal entry before the call, SOAP request written
 *   by hand, outcome stored), with none of the hub's contract; printed as a multiple of the plain
 *   flow, to read the target against.
 * - wasl's own work, bare (bench/e2e/work-floor-child.ts), measured as wasl is: every record,
 *   check and seal the hub makes for an order (authentication, validation, catalogue and fees,
 *   idempotency, order, steps, events, the audit chain, the journal, the provider call's record,
 *   the extract sealed with its code, a log line at each end), in three durable writes and one
 *   process, without Node-RED, Fastify or the bus: the least wasl's promises cost on this
 *   machine, whatever the plumbing. A CPU target below it cannot be met by plumbing alone.
 * - the gateway alone (bench/hub-child.ts with WASL_BENCH_CEILING: authentication, validation,
 *   intake, serialisation, logs; nothing stored, no flows), loaded as wasl's gateway is: its CPU
 *   per accepted order, the least a hub answering the gateway's contract spends before the rest.
 * - CPU per order of each side (its process, all threads, over the measured window and drain),
 *   and the budget at the target: the CPU time per order one event loop has at 1.5x the plain
 *   flow's rate (the hub's gateway, store and flows share one).
 * - BENCH_E2E_COUNT_SQL=1: also the SQLite statements (by text), writes and commits per order.
 * - BENCH_E2E_SIDES=wasl (a comma-separated subset of plain,wasl,floor,work,gateway): only those sides,
 *   to iterate on one (wasl's CPU per order) in a minute; the ratio needs both plain and wasl.
 * The last line is `e2e: ratio X.XX (target >= 1.50)`: wasl completed orders/s over the plain
 * flow's completed calls/s. Exit code 0 whatever the figures.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { OrderRequest } from '../contracts/types';
import type { ChannelKey } from '../hub/config';
import { orderIdFloor } from '../hub/ids';
import { envelope, ministryInput, SOAP_HEADERS } from './e2e/envelope';
import { runLoad, type LoadSpec } from './lib/load';
import { type Ministry, type MinistryStats, post, startMinistry } from './lib/ministry';
import { benchChannel, counterRequest, keyFactory, loadCatalogue } from './lib/order';
import { childEnv, cpuSeconds, hubEnv, hubFlags, ioCounters, machineBusySeconds, peakRssMb, startServer, tempDir, type Server } from './lib/procs';
import { runBench } from './lib/ratio';
import { itemiseProfile, summariseProfile } from './lib/profile';
import type { SqlCounts } from './lib/sql-count';
import { fmt } from './lib/seed';

const SERVICE = 'civil-registry-individual-extract';
const MINISTRY_PORT = Number(process.env.BENCH_E2E_MINISTRY_PORT ?? 8091);
const MINISTRY_MS = Number(process.env.BENCH_E2E_MINISTRY_MS ?? 20);
const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 10);
const CONNECTIONS = 50;
const LIGHT_COUNT = 200;
const LIGHT_RATE = 25;
const DRAIN_TIMEOUT_MS = 180_000;
const TARGET = 1.5;
/** BENCH_E2E_CPU_PROFILE=<file>: profile the hub from ready to stop (the figures are then not the ones to quote). */
const PROFILE = process.env.BENCH_E2E_CPU_PROFILE;
/** BENCH_E2E_WORK_PROFILE=<file>: the same for wasl's work, bare (work-floor-child.ts). */
const WORK_PROFILE = process.env.BENCH_E2E_WORK_PROFILE;
/** BENCH_E2E_COUNT_SQL=1: count the hub's SQLite statements, writes and commits per order (slows it a little). */
const COUNT_SQL = process.env.BENCH_E2E_COUNT_SQL === '1';
const SIDES = new Set((process.env.BENCH_E2E_SIDES ?? 'plain,wasl,floor,work,gateway').split(',').map((s) => s.trim()));
const skipped: Run = { perSecond: NaN, count: 0, seconds: 0, addedP50: NaN, p50: NaN, serverCores: NaN, cpuMsPerOrder: NaN, others: { ministryMsPerCall: NaN, driverMsPerOrder: NaN, machineCores: NaN }, problems: [] };
const skippedDurable = { ...skipped, calls: { calls: 0, orders: 0, repeated: 0 } as MinistryStats, log: '' };

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (v: number) => `${v.toFixed(1)} ms`;
const cpuMs = (v: number) => `${v.toFixed(2)} ms`;

function percentile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

// ───────────────────────────── direct calls ─────────────────────────────

async function directP50(ministry: Ministry, input: Record<string, unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 220; i++) {
    const t = performance.now();
    const r = await post(ministry.url, envelope(randomUUID(), input), SOAP_HEADERS);
    if (r.status !== 200) throw new Error(`the ministry answered a direct call with ${r.status}: ${r.body.slice(0, 300)}`);
    if (i >= 20) times.push(performance.now() - t);
  }
  return percentile(times, 0.5);
}

/** Fires `count` requests at `rate` per second (not waiting for each other), and returns their latencies. */
async function paced(count: number, rate: number, one: () => Promise<number>): Promise<number[]> {
  const out: Array<Promise<number>> = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await pause(wait);
    out.push(one());
  }
  return Promise.all(out);
}

// ───────────────────────────── the plain Node-RED flow ─────────────────────────────

interface Run {
  perSecond: number;
  count: number;
  seconds: number;
  addedP50: number;
  p50: number;
  serverCores: number;
  /** CPU of the server process (all its threads) per completed call or order. */
  cpuMsPerOrder: number;
  /** Over the same window: the ministry's CPU per call, this driver's per request, and the whole machine's busy cores. */
  others: Others;
  problems: string[];
}

interface Others {
  ministryMsPerCall: number;
  driverMsPerOrder: number;
  machineCores: number;
}

/** What the rest of the machine spends while a side is loaded: read the server's CPU against it. */
function othersMeter(ministry: Ministry): (orders: number) => Others {
  const m0 = cpuSeconds(ministry.child.pid);
  const d0 = process.cpuUsage();
  const b0 = machineBusySeconds();
  const t0 = performance.now();
  return (orders) => {
    const d = process.cpuUsage(d0);
    return {
      ministryMsPerCall: ((cpuSeconds(ministry.child.pid) - m0) * 1000) / orders,
      driverMsPerOrder: (d.user + d.system) / 1000 / orders,
      machineCores: (machineBusySeconds() - b0) / ((performance.now() - t0) / 1000),
    };
  };
}

async function plainRun(ministry: Ministry, input: Record<string, unknown>, direct: number): Promise<Run> {
  const plain = await startServer(join(__dirname, 'e2e', 'plain-child.ts'), { env: { ...process.env, MINISTRY_URL: ministry.url } });
  try {
    const url = `${plain.url}/extract`;
    const body = JSON.stringify(input);
    const headers = { 'content-type': 'application/json' };
    const light = await paced(LIGHT_COUNT, LIGHT_RATE, async () => {
      const t = performance.now();
      const r = await post(url, body, headers);
      if (r.status !== 200) throw new Error(`the plain flow answered ${r.status}: ${r.body.slice(0, 300)}`);
      return performance.now() - t;
    });
    const spec = { url, method: 'POST' as const, headers, body, path: () => '/extract', connections: CONNECTIONS, seconds: 2 };
    await runLoad(spec);
    await pause(500); // the warm-up's last calls reach the ministry before its count restarts
    await ministry.reset();
    const c0 = cpuSeconds(plain.child.pid);
    const meter = othersMeter(ministry);
    const r = await runLoad({ ...spec, seconds: SECONDS });
    const cpu = cpuSeconds(plain.child.pid) - c0;
    const others = meter(r.ok);
    const serverCores = cpu / r.seconds;
    const stats = await ministry.stats();
    const problems: string[] = [];
    if (r.non2xx || r.errors || r.timeouts) problems.push(`${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.errors} errors, ${r.timeouts} timeouts`);
    // Calls in flight at the cut-off reach the ministry without a counted response.
    if (stats.calls < r.ok || stats.calls > r.ok + CONNECTIONS) problems.push(`the ministry saw ${stats.calls} calls for ${r.ok} responses`);
    const p50 = percentile(light, 0.5);
    return { perSecond: r.rps, count: r.ok, seconds: r.seconds, p50, addedP50: p50 - direct, serverCores, cpuMsPerOrder: (cpu * 1000) / r.ok, others, problems };
  } finally {
    await plain.stop();
  }
}

/** POST /v1/orders on a hub child as `channel`, each with a fresh Idempotency-Key, over CONNECTIONS connections. */
function orderLoad(url: string, channel: ChannelKey, request: OrderRequest, seconds: number): LoadSpec {
  const nextKey = keyFactory();
  return {
    url,
    method: 'POST',
    headers: { authorization: `Bearer ${channel.key}`, 'content-type': 'application/json' },
    body: JSON.stringify(request),
    path: () => '/v1/orders',
    perRequestHeaders: () => ({ 'idempotency-key': nextKey() }),
    connections: CONNECTIONS,
    seconds,
  };
}

// ───────────────────────────── wasl ─────────────────────────────

interface Progress {
  byStatus: Map<string, number>;
}

/** Reads the orders of a run, by status, from the hub's own SQLite file (one read-only connection, for the polls of one run). */
interface ProgressReader {
  /** Orders created at or after `sinceId`, by status. */
  read(sinceId: string): Progress;
  close(): void;
}

/**
 * It reads every 100–300 ms while the hub drains its backlog, on the cores the hub runs on, so it
 * keeps its connection and the hub's file answers it from its covering status index (2.8 ms for
 * 15,000 orders; the bench's one service is all the file holds, and a filter on the service took
 * 56 ms, reading every order). With that filter, a scan of the run's timeline for the last
 * completion's time and a new connection on every poll, the load driver spent ~0.3–0.7 ms of CPU
 * per order of the hub's run, counted against the hub's room.
 */
function progressReader(dbFile: string): ProgressReader {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  const byStatus = db.prepare<[string], { status: string; n: number }>('SELECT status, count(*) AS n FROM orders WHERE id >= ? GROUP BY status');
  return {
    read: (sinceId) => ({ byStatus: new Map(byStatus.all(sinceId).map((r) => [r.status, r.n])) }),
    close: () => db.close(),
  };
}

/** When the last of the orders created at or after `sinceId` reached provider-completed (ms since the epoch); read once, after the drain. */
function lastCompletedAt(dbFile: string, sinceId: string): number {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const last = db
      .prepare(`SELECT max(json_extract(t.doc, '$.at')) AS at FROM order_timeline t WHERE t.order_id >= ? AND json_extract(t.doc, '$.status') = 'provider-completed'`)
      .get(sinceId) as { at: string | null };
    if (!last.at) throw new Error(`no order created since ${sinceId} reached provider-completed`);
    return Date.parse(last.at);
  } finally {
    db.close();
  }
}

/** Per order, acceptance to provider-completed, from the timeline (ms). */
function orderLatencies(dbFile: string, ids: string[]): number[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const stmt = db.prepare('SELECT doc FROM order_timeline WHERE order_id = ? ORDER BY seq');
    return ids.map((id) => {
      const events = (stmt.all(id) as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as { at: string; status: string });
      const received = events.find((e) => e.status === 'received');
      const completed = events.find((e) => e.status === 'provider-completed');
      if (!received || !completed) throw new Error(`order ${id} did not complete: ${events.map((e) => e.status).join(' → ')}`);
      return Date.parse(completed.at) - Date.parse(received.at);
    });
  } finally {
    db.close();
  }
}

/** Past the ministry step: provider-completed, or the delivery stage after it; or refused. */
const FINISHED = ['provider-completed', 'ready-for-pickup', 'delivered', 'rejected', 'failed'];
const COMPLETED = ['provider-completed', 'ready-for-pickup', 'delivered'];

const total = (p: Progress) => [...p.byStatus.values()].reduce((a, b) => a + b, 0);

async function waitDrained(reader: ProgressReader, sinceId: string, expected: number): Promise<Progress> {
  const until = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const p = reader.read(sinceId);
    const final = FINISHED.reduce((n, s) => n + (p.byStatus.get(s) ?? 0), 0);
    if (final >= expected) return p;
    if (Date.now() > until) throw new Error(`only ${final} of ${expected} orders finished within ${DRAIN_TIMEOUT_MS / 1000} s: ${JSON.stringify([...p.byStatus])}`);
    await pause(100);
  }
}

/**
 * Orders through wasl (the hub as `wasl start` runs it) or through the floor (bench/e2e/floor-child.ts),
 * measured alike from the SQLite file each keeps.
 */
async function durableRun(side: 'wasl' | 'floor' | 'work', ministry: Ministry, request: OrderRequest, direct: number): Promise<Run & { calls: MinistryStats; log: string }> {
  const dataDir = tempDir('e2e');
  const channel = benchChannel();
  const logFile = join(dataDir, `${side}.log`);
  const sqlCount = COUNT_SQL && side === 'wasl' ? join(dataDir, 'sql-count.json') : undefined;
  const profile = side === 'wasl' ? PROFILE : side === 'work' ? WORK_PROFILE : undefined;
  const hub: Server =
    side === 'floor'
      ? await startServer(join(__dirname, 'e2e', 'floor-child.ts'), { env: { ...childEnv(), WASL_DATA_DIR: dataDir, MINISTRY_URL: ministry.url, BENCH_E2E_SERVICE: SERVICE }, logFile })
      : side === 'work'
      ? await startServer(join(__dirname, 'e2e', 'work-floor-child.ts'), {
          env: { ...childEnv(), WASL_DATA_DIR: dataDir, MINISTRY_URL: ministry.url, WASL_CHANNEL_KEYS: JSON.stringify([channel]), ...(profile ? { WASL_BENCH_CPU_PROFILE: profile } : {}) },
          logFile,
        })
      : await startServer(join(__dirname, 'hub-child.ts'), {
          env: hubEnv(dataDir, channel, {
            // The bench's ministry child serves the provider's sandbox port instead.
            WASL_SIMULATORS: 'off',
            ...(profile ? { WASL_BENCH_CPU_PROFILE: profile } : {}),
            ...(sqlCount ? { WASL_BENCH_SQL_COUNT: sqlCount } : {}),
          }),
          logFile,
          nodeFlags: hubFlags,
        });
  const dbFile = join(dataDir, 'wasl.db');
  const nextKey = keyFactory();
  const body = JSON.stringify(request);
  const headers = { authorization: `Bearer ${channel.key}`, 'content-type': 'application/json' };
  const submit = async () => {
    const r = await post(`${hub.url}/v1/orders`, body, { ...headers, 'idempotency-key': nextKey() });
    if (r.status !== 202) throw new Error(`the gateway answered ${r.status}: ${r.body.slice(0, 300)}`);
    return (JSON.parse(r.body) as { id: string }).id;
  };
  const reader = progressReader(dbFile);
  try {
    // Warm-up: the flow's first calls compile JSONata and the SOAP model, open sockets.
    const warm = await Promise.all(Array.from({ length: 100 }, submit));
    await waitDrained(reader, warm.sort()[0]!, warm.length);

    // Light load: each order's own time from acceptance to provider-completed.
    const lightIds: string[] = [];
    await paced(LIGHT_COUNT, LIGHT_RATE, async () => {
      lightIds.push(await submit());
      return 0;
    });
    await waitDrained(reader, [...lightIds].sort()[0]!, lightIds.length);
    const p50 = percentile(orderLatencies(dbFile, lightIds), 0.5);

    // Throughput.
    await pause(300);
    await ministry.reset();
    const since = orderIdFloor(new Date(Date.now() - 1));
    const c0 = cpuSeconds(hub.child.pid);
    const io0 = ioCounters(hub.child.pid);
    const meter = othersMeter(ministry);
    const t0 = Date.now();
    const r = await runLoad(orderLoad(hub.url, channel, request, SECONDS));
    // Requests in flight at autocannon's cut-off still create their orders: count once stable.
    let acceptedCount = -1;
    for (let seen = total(reader.read(since)); seen !== acceptedCount; seen = total(reader.read(since))) {
      acceptedCount = seen;
      await pause(300);
    }
    const drained = await waitDrained(reader, since, acceptedCount);
    const seconds = (lastCompletedAt(dbFile, since) - t0) / 1000;
    const cpu = cpuSeconds(hub.child.pid) - c0;
    const io1 = ioCounters(hub.child.pid);
    const serverCores = cpu / ((Date.now() - t0) / 1000);
    const completed = COMPLETED.reduce((n, s) => n + (drained.byStatus.get(s) ?? 0), 0);
    const others = meter(completed);
    console.log(
      `  ${side === 'wasl' ? 'hub' : side === 'work' ? "wasl's work server" : 'floor server'} per order: user ${(((io1.user - io0.user) * 1000) / completed).toFixed(2)} ms, system ${(((io1.system - io0.system) * 1000) / completed).toFixed(2)} ms; ` +
        `${((io1.writes - io0.writes) / completed).toFixed(1)} write calls, ${((io1.writtenBytes - io0.writtenBytes) / 1024 / completed).toFixed(1)} kB written (files and sockets); peak RSS ${peakRssMb(hub.child.pid).toFixed(0)} MB`,
    );
    const calls = await ministry.stats();
    const problems: string[] = [];
    if (r.non2xx || r.errors || r.timeouts) problems.push(`${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.errors} errors, ${r.timeouts} timeouts`);
    if (completed !== acceptedCount) problems.push(`${acceptedCount - completed} of ${acceptedCount} orders did not complete: ${JSON.stringify([...drained.byStatus])}`);
    if (acceptedCount < r.ok) problems.push(`the store holds ${acceptedCount} orders for ${r.ok} 202 responses`);
    if (calls.calls !== acceptedCount || calls.orders !== acceptedCount || calls.repeated !== 0) {
      problems.push(`the ministry saw ${calls.calls} calls (${calls.repeated} repeated) for ${calls.orders} distinct orders, for ${acceptedCount} orders`);
    }
    return { perSecond: completed / seconds, count: completed, seconds, p50, addedP50: p50 - direct, serverCores, cpuMsPerOrder: (cpu * 1000) / completed, others, problems, calls, log: logFile };
  } finally {
    reader.close();
    await hub.stop();
    if (profile) console.log(`${summariseProfile(profile, 40)}\n${itemiseProfile(profile, ordersIn(dbFile))}`);
    if (sqlCount) printSqlCounts(sqlCount, dbFile);
    if (side !== 'floor') printRecords(side, dbFile);
  }
}

/** The records an order left, per table: the hub and its work done bare must keep the same ones (the bus's own aside). */
const RECORDS = ['order_timeline', 'outbox', 'audit_log', 'idempotency_keys', 'step_journal', 'provider_calls', 'documents', 'document_chunks', 'document_codes', 'processed_events'];

function printRecords(side: 'wasl' | 'work', dbFile: string): void {
  const db = new Database(dbFile, { readonly: true });
  try {
    const orders = (db.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n;
    const per = RECORDS.map((t) => `${t} ${((db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n / orders).toFixed(2)}`);
    console.log(`  ${side === 'wasl' ? 'hub' : "wasl's work"}: records per order (${fmt(orders)} orders): ${per.join(', ')}`);
  } finally {
    db.close();
  }
}

/**
 * The hub's gateway alone (bench/hub-child.ts with WASL_BENCH_CEILING: authentication, validation,
 * intake, serialisation and logs over a store that keeps nothing; no flows): its CPU per accepted
 * order, the part of the budget per order any hub that answers the gateway's contract spends
 * before storing anything.
 */
async function gatewayAlone(request: OrderRequest): Promise<{ perSecond: number; cpuMsPerOrder: number }> {
  const channel = benchChannel();
  const hub = await startServer(join(__dirname, 'hub-child.ts'), { env: hubEnv(tempDir('e2e-gateway'), channel, { WASL_SIMULATORS: 'off', WASL_BENCH_CEILING: '1' }), nodeFlags: hubFlags });
  try {
    await runLoad(orderLoad(hub.url, channel, request, 2));
    const c0 = cpuSeconds(hub.child.pid);
    const r = await runLoad(orderLoad(hub.url, channel, request, SECONDS));
    if (r.non2xx || r.errors || r.timeouts || r.ok === 0) throw new Error(`the gateway alone answered ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.errors} errors, ${r.timeouts} timeouts`);
    return { perSecond: r.rps, cpuMsPerOrder: ((cpuSeconds(hub.child.pid) - c0) * 1000) / r.ok };
  } finally {
    await hub.stop();
  }
}

/** Orders in the hub's SQLite file (warm-up, light load and throughput together). */
function ordersIn(dbFile: string): number {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Per order over the whole hub run (warm-up, light load and throughput): what SQLite was asked. */
function printSqlCounts(file: string, dbFile: string): void {
  const counts = JSON.parse(readFileSync(file, 'utf8')) as SqlCounts;
  const orders = ordersIn(dbFile);
  const entries = Object.entries(counts.statements).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((n, [, v]) => n + v, 0);
  const per = (n: number) => (n / orders).toFixed(2);
  console.log(`SQLite per order (${fmt(orders)} orders): ${per(total)} statements, ${per(counts.writes)} writes (a savepoint each), ${per(counts.commits)} commits`);
  for (const [sql, n] of entries.slice(0, 12)) console.log(`  ${per(n).padStart(6)}  ${sql.slice(0, 110)}`);
}

function othersLine(o: Others): string {
  return `                              meanwhile: ministry ${cpuMs(o.ministryMsPerCall)} of CPU per call, load driver ${cpuMs(o.driverMsPerOrder)} per request; machine ${o.machineCores.toFixed(2)} of ${cpus().length} cores busy`;
}

function logProblems(logFile: string): void {
  const lines = readFileSync(logFile, 'utf8').split('\n');
  for (const l of lines.filter((x) => /"level":(50|60)|"level":"(error|fatal)"/.test(x)).slice(0, 5)) console.log(`    log: ${l.slice(0, 400)}`);
}

async function main(): Promise<number> {
  const request = counterRequest(loadCatalogue(), SERVICE);
  const input = ministryInput(request);

  console.log(`bench:e2e — ${SERVICE}, canned ministry answering after ${MINISTRY_MS} ms, ${CONNECTIONS} connections, ${SECONDS} s per side, ${cpus().length} cores`);
  const ministry = await startMinistry({ port: MINISTRY_PORT, delayMs: MINISTRY_MS });
  const busy0 = machineBusySeconds();
  const t0 = Date.now();
  const direct = await directP50(ministry, input);
  console.log(`direct ministry call          p50 ${ms(direct)}`);

  const plain = SIDES.has('plain') ? await plainRun(ministry, input, direct) : skipped;
  console.log(`plain Node-RED flow           ${fmt(Math.round(plain.perSecond)).padStart(6)} calls/s    (${fmt(plain.count)} in ${plain.seconds.toFixed(1)} s; server ${plain.serverCores.toFixed(2)} cores)`);
  console.log(`                              light-load p50 ${ms(plain.p50)}: added over direct ${ms(plain.addedP50)}`);
  console.log(othersLine(plain.others));
  for (const p of plain.problems) console.log(`  !!! plain: ${p}`);

  const wasl = SIDES.has('wasl') ? await durableRun('wasl', ministry, request, direct) : skippedDurable;
  console.log(`wasl durable flow             ${fmt(Math.round(wasl.perSecond)).padStart(6)} orders/s   (${fmt(wasl.count)} accepted and completed in ${wasl.seconds.toFixed(1)} s; hub ${wasl.serverCores.toFixed(2)} cores)`);
  console.log(`                              light-load p50 ${ms(wasl.p50)} (accepted → provider-completed): added over direct ${ms(wasl.addedP50)}`);
  console.log(`                              ministry: ${fmt(wasl.calls.calls)} calls for ${fmt(wasl.calls.orders)} orders, ${wasl.calls.repeated} repeated message ids`);
  console.log(othersLine(wasl.others));
  for (const p of wasl.problems) console.log(`  !!! wasl: ${p}`);
  if (wasl.problems.length) logProblems(wasl.log);
  const floor = SIDES.has('floor') ? await durableRun('floor', ministry, request, direct) : skippedDurable;
  console.log(`durable floor (no hub)        ${fmt(Math.round(floor.perSecond)).padStart(6)} orders/s   (${fmt(floor.count)} in ${floor.seconds.toFixed(1)} s; server ${floor.serverCores.toFixed(2)} cores): ${(floor.perSecond / plain.perSecond).toFixed(2)}x the plain flow`);
  console.log(`                              light-load p50 ${ms(floor.p50)}: added over direct ${ms(floor.addedP50)}; ministry: ${fmt(floor.calls.calls)} calls for ${fmt(floor.calls.orders)} orders, ${floor.calls.repeated} repeated`);
  console.log(othersLine(floor.others));
  for (const p of floor.problems) console.log(`  !!! floor: ${p}`);
  const work = SIDES.has('work') ? await durableRun('work', ministry, request, direct) : skippedDurable;
  console.log(`wasl's work, bare (no plumbing) ${fmt(Math.round(work.perSecond)).padStart(4)} orders/s   (${fmt(work.count)} in ${work.seconds.toFixed(1)} s; server ${work.serverCores.toFixed(2)} cores): ${(work.perSecond / plain.perSecond).toFixed(2)}x the plain flow`);
  console.log(`                              light-load p50 ${ms(work.p50)}: added over direct ${ms(work.addedP50)}; ministry: ${fmt(work.calls.calls)} calls for ${fmt(work.calls.orders)} orders, ${work.calls.repeated} repeated`);
  console.log(othersLine(work.others));
  for (const p of work.problems) console.log(`  !!! work: ${p}`);
  if (work.problems.length) logProblems(work.log);
  const gateway = SIDES.has('gateway') ? await gatewayAlone(request) : { perSecond: NaN, cpuMsPerOrder: NaN };
  console.log(`gateway alone (nothing kept)  ${fmt(Math.round(gateway.perSecond)).padStart(6)} orders/s accepted, ${cpuMs(gateway.cpuMsPerOrder)} of CPU per order`);
  // One event loop carries a hub's gateway, store and flows: at the target it has this much per order.
  const budget = 1000 / (TARGET * plain.perSecond);
  console.log(
    `CPU per order: plain ${cpuMs(plain.cpuMsPerOrder)}, wasl ${cpuMs(wasl.cpuMsPerOrder)}, floor ${cpuMs(floor.cpuMsPerOrder)}, wasl's work bare ${cpuMs(work.cpuMsPerOrder)}, gateway alone ${cpuMs(gateway.cpuMsPerOrder)}; ` +
      `at ${TARGET}x the plain flow (${fmt(Math.round(TARGET * plain.perSecond))} orders/s) one event loop has ${cpuMs(budget)} per order`,
  );
  // The same ministry and load at the plain flow's rate leave the rest of the cores to a hub:
  // its CPU per order must fit there for wasl to keep up with the plain flow on this machine.
  const room = (cpus().length * 1000) / plain.perSecond - wasl.others.ministryMsPerCall - wasl.others.driverMsPerOrder;
  console.log(
    `at the plain flow's rate (${fmt(Math.round(plain.perSecond))}/s) ${cpus().length} cores leave ${cpuMs(room)} per order to a hub, after the ministry's ${cpuMs(wasl.others.ministryMsPerCall)} and the load driver's ${cpuMs(wasl.others.driverMsPerOrder)} (as in wasl's run)`,
  );
  const others = (machineBusySeconds() - busy0) / ((Date.now() - t0) / 1000);
  console.log(`machine: ${others.toFixed(2)} of ${cpus().length} cores busy on average over the whole run`);
  ministry.child.send('stop');
  return plain.perSecond > 0 ? wasl.perSecond / plain.perSecond : NaN;
}

runBench('e2e', TARGET, main);
