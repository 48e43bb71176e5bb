/**
 * `npm run chaos [-- --short]`: wasl's promise that nothing a citizen submits is lost, and that
 * no ministry, payment or postal effect happens twice, put under fire on the distributed set-up —
 * PostgreSQL, RabbitMQ, one gateway process and two worker processes (chaos/processes.ts), the
 * sandbox's simulators in this process (chaos/simulators.ts) — under a steady load of orders
 * across the whole catalogue (chaos/load.ts).
 *
 * In turn, each while orders keep coming: nothing (the baseline); workers killed with SIGKILL at
 * random moments and restarted; every broker connection closed; RabbitMQ restarted; a ministry's
 * host down for 30 s; a ministry answering slowly; the gateway killed mid-request and restarted.
 * After each: the load stops and the run waits until every accepted order has reached a final
 * state or a dead letter, the outbox is published and the broker's queues are empty; dead letters
 * are replayed (as an operator would, `wasl replay`) and waited for in turn. Then, from the store
 * and from the simulators' own records: an order accepted but missing or stuck is lost; the same
 * order step asked of a provider under two idempotency keys is a duplicated effect.
 *
 * One line per fault: accepted, completed, dead-lettered (replayed), lost, duplicated effects.
 * The last line sums up. Exit 1 when anything was lost or duplicated, or an accepted order was
 * refused; PostgreSQL or RabbitMQ absent skips the suite (exit 0) unless WASL_REQUIRE_SERVICES=1.
 * `--short` (CI) runs each fault on a shorter load; the ministry outage stays 30 s.
 * Logs of every process go to chaos-report/<run>/; they are scanned for the citizens' national
 * numbers and names, which must not appear in clear.
 */
import { execFile as execFileCb } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { Client } from 'pg';
import type { ChannelKind, OrderStatus } from '../contracts/types';
import { Catalogue } from '../hub/catalogue';
import { PostgresStore } from '../hub/store/postgres';
import { planOrders } from '../sandbox/demo';
import { citizens } from '../sandbox/data/citizens';
import { Load, type Planned } from './load';
import { WaslProcess } from './processes';
import { ChaosSimulators } from './simulators';

const execFile = promisify(execFileCb);
const REPO = resolve(__dirname, '..');
const PG_ADMIN = process.env.WASL_CHAOS_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB = 'wasl_chaos';
const VHOST = 'wasl-chaos';
const AMQP_BASE = process.env.WASL_CHAOS_AMQP ?? 'amqp://guest:guest@127.0.0.1:5672';
const FINAL: ReadonlySet<OrderStatus> = new Set<OrderStatus>(['delivered', 'ready-for-pickup', 'refunded', 'returned', 'rejected', 'failed', 'cancelled']);
const COMPLETED: ReadonlySet<OrderStatus> = new Set<OrderStatus>(['delivered', 'ready-for-pickup']);
const OUTAGE_MS = 30_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const random = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

interface Ctx {
  gateway: WaslProcess;
  workers: WaslProcess[];
  sims: ChaosSimulators;
  loadMs: number;
  say(line: string): void;
}

interface Fault {
  name: string;
  /** Runs while the load runs; resolves when the fault is over and everything is back. */
  inject(ctx: Ctx): Promise<void>;
  /** The load lasts at least this long (a fault longer than the load would meet no orders). */
  minLoadMs?: number;
}

async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await execFile('rabbitmqctl', args, { timeout: 120_000 });
  return stdout;
}

const FAULTS: Fault[] = [
  { name: 'none (steady load)', inject: async () => undefined },
  {
    name: 'worker killed (SIGKILL) at random moments',
    async inject(ctx) {
      const end = Date.now() + ctx.loadMs - 2_000;
      while (Date.now() < end) {
        await sleep(random(1_500, 5_000));
        const w = ctx.workers[Math.floor(Math.random() * ctx.workers.length)]!;
        await w.kill();
        ctx.say(`  killed ${w.name}`);
        await sleep(random(200, 1_500));
        await w.start();
      }
    },
  },
  {
    name: 'all broker connections closed',
    async inject(ctx) {
      for (let i = 0; i < 2; i++) {
        await sleep(ctx.loadMs / 3);
        await rabbitmqctl('close_all_connections', '--vhost', VHOST, 'wasl chaos: connections closed');
        ctx.say('  closed every connection to RabbitMQ');
      }
    },
  },
  {
    name: 'RabbitMQ restarted',
    async inject(ctx) {
      await sleep(ctx.loadMs / 3);
      await rabbitmqctl('stop_app');
      ctx.say('  RabbitMQ stopped');
      await sleep(5_000);
      await rabbitmqctl('start_app');
      await rabbitmqctl('await_startup');
      ctx.say('  RabbitMQ started');
    },
  },
  {
    name: 'a ministry down for 30 s (moi-civil-registry)',
    minLoadMs: OUTAGE_MS + 5_000,
    async inject(ctx) {
      await sleep(2_000);
      await ctx.sims.down('moi-civil-registry');
      ctx.say('  moi-civil-registry is down');
      await sleep(OUTAGE_MS);
      await ctx.sims.up('moi-civil-registry');
      ctx.say('  moi-civil-registry is back');
    },
  },
  {
    name: 'a ministry answering slowly (mot-vehicle-registry, 6 s)',
    async inject(ctx) {
      ctx.sims.setDelay('mot-vehicle-registry', 6_000);
      await sleep(ctx.loadMs);
      ctx.sims.setDelay('mot-vehicle-registry', 0);
    },
  },
  {
    name: 'gateway killed mid-request (SIGKILL)',
    async inject(ctx) {
      for (let i = 0; i < 2; i++) {
        await sleep(random(ctx.loadMs / 4, ctx.loadMs / 2));
        await ctx.gateway.kill();
        ctx.say('  killed the gateway');
        await sleep(1_000);
        await ctx.gateway.start();
      }
    },
  },
];

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Whether PostgreSQL and RabbitMQ answer; the reason when not. */
async function servicesMissing(): Promise<string | undefined> {
  const c = new Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 3_000 });
  try {
    await c.connect();
  } catch (err) {
    return `PostgreSQL not reachable at ${PG_ADMIN}: ${(err as Error).message}`;
  } finally {
    await c.end().catch(() => undefined);
  }
  try {
    await rabbitmqctl('await_startup', '--timeout', '10');
  } catch (err) {
    return `RabbitMQ not ready (rabbitmqctl await_startup): ${(err as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

async function freshDatabase(): Promise<string> {
  const c = new Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${DB}`);
  } finally {
    await c.end();
  }
  const u = new URL(PG_ADMIN);
  u.pathname = `/${DB}`;
  return u.href;
}

async function freshVhost(): Promise<string> {
  await rabbitmqctl('delete_vhost', VHOST).catch(() => undefined);
  await rabbitmqctl('add_vhost', VHOST);
  await rabbitmqctl('set_permissions', '-p', VHOST, 'guest', '.*', '.*', '.*');
  return `${AMQP_BASE}/${VHOST}`;
}

/** Messages still to be worked in the vhost's queues (ready or unacknowledged); `wasl.dead` keeps every dead letter for good and is not work. */
async function queued(): Promise<number> {
  const out = await rabbitmqctl('list_queues', '-p', VHOST, '--quiet', '--no-table-headers', 'name', 'messages');
  let n = 0;
  for (const line of out.split('\n')) {
    const [name, messages] = line.trim().split(/\s+/);
    if (!name || name === 'wasl.dead') continue;
    const m = Number(messages);
    if (Number.isFinite(m)) n += m;
  }
  return n;
}

interface Settled {
  completed: number;
  otherFinal: number;
  deadLettered: string[];
  lost: string[];
  missing: string[];
}

/**
 * Waits until every order is final or dead-lettered and nothing is left to publish or consume —
 * or the deadline passes: what is then neither final nor dead-lettered is lost.
 */
async function settle(store: PostgresStore, ids: string[], deadlineMs: number): Promise<Settled> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const dead = new Set((await store.listDeadLetters({ limit: 100_000 })).map((d) => d.message.orderId));
    const s: Settled = { completed: 0, otherFinal: 0, deadLettered: [], lost: [], missing: [] };
    for (const id of ids) {
      const o = await store.getOrder(id);
      if (!o) s.missing.push(id);
      else if (dead.has(id)) s.deadLettered.push(id);
      else if (COMPLETED.has(o.status)) s.completed++;
      else if (FINAL.has(o.status)) s.otherFinal++;
      else s.lost.push(id);
    }
    const quiet = s.lost.length === 0 && (await store.outboxPending(1)).length === 0 && (await queued()) === 0;
    if (quiet || Date.now() > deadline) return s;
    await sleep(2_000);
  }
}

async function main(): Promise<void> {
  const opts = new Command('chaos')
    .description('Faults under load on the distributed set-up; every accepted order accounted for, no effect twice')
    .option('--short', 'shorter load per fault (CI)')
    .option('--rate <n>', 'orders per second', (v) => Number(v), 4)
    .option('--only <text>', 'only the faults whose name contains one of these (comma-separated)')
    .parse()
    .opts<{ short?: boolean; rate: number; only?: string }>();
  const loadMs = opts.short ? 15_000 : 40_000;
  const settleMs = opts.short ? 240_000 : 360_000;
  const out = (line: string) => process.stdout.write(`${line}\n`);

  const missing = await servicesMissing();
  if (missing) {
    if (process.env.WASL_REQUIRE_SERVICES === '1') {
      out(`chaos: FAILED: ${missing} (WASL_REQUIRE_SERVICES=1)`);
      process.exitCode = 1;
    } else out(`chaos: skipped: ${missing}`);
    return;
  }

  const run = `${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const dir = join(REPO, 'chaos-report', run);
  mkdirSync(dir, { recursive: true });
  const databaseUrl = await freshDatabase();
  const amqpUrl = await freshVhost();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const kinds: ChannelKind[] = ['centre', 'portal', 'expat-portal'];
  const keys = Object.fromEntries(kinds.map((k) => [k, `chaos_${k}_${randomBytes(18).toString('base64url')}`])) as Record<ChannelKind, string>;
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    WASL_ENV: 'sandbox',
    DATABASE_URL: databaseUrl,
    AMQP_URL: amqpUrl,
    WASL_SIMULATORS: 'off',
    WASL_PUBLIC_URL: url,
    WASL_SECRET: randomBytes(32).toString('base64url'),
    WASL_CHANNEL_KEYS: JSON.stringify(kinds.map((k) => ({ channel: `chaos-${k}`, key: keys[k], services: ['*'], kind: k }))),
    WASL_RATE_LIMIT: '1000000',
    WASL_FULFILMENT_WATCH_MS: '1000',
    WASL_LOG_LEVEL: 'info',
  };
  const proc = (name: string, args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const dataDir = join(dir, name, 'data');
    mkdirSync(dataDir, { recursive: true });
    return new WaslProcess(name, args, { ...base, WASL_DATA_DIR: dataDir, ...extra }, dir);
  };

  out(`chaos: PostgreSQL ${DB}, RabbitMQ vhost ${VHOST}, gateway ${url}, 2 workers; logs in ${dir}`);
  const sims = await ChaosSimulators.start();
  const gateway = proc('gateway', ['start', '--no-workers'], { PORT: String(port), HOST: '127.0.0.1' });
  const workers = [proc('worker-1', ['worker']), proc('worker-2', ['worker'])];
  // The database is new: one process applies the migrations before the others start.
  await gateway.start();
  await Promise.all(workers.map((w) => w.start()));
  const store = await PostgresStore.open({ connectionString: databaseUrl, poolSize: 4 });

  const catalogue = Catalogue.load(join(REPO, 'flows'));
  const services = catalogue.offered('sandbox');
  const plans = planOrders(services, 5_000, 20261128);
  const planFor = (i: number): Planned => {
    const p = plans[i % plans.length]!;
    return { channel: p.channel, body: p.body, provider: p.service.definition.provider.code };
  };
  out(`chaos: ${services.length} services, ${opts.rate} orders/s, ${loadMs / 1000} s of load per fault${opts.short ? ' (--short)' : ''}`);

  const totals = { accepted: 0, completed: 0, dead: 0, lost: 0, dup: 0, refused: 0 };
  let failed = false;
  const ctx: Ctx = { gateway, workers, sims, loadMs, say: (l) => out(l) };
  let offset = 0;
  try {
    for (const fault of FAULTS.filter((f) => !opts.only || opts.only.split(',').some((o) => f.name.includes(o)))) {
      const started = Date.now();
      const from = offset;
      offset += 10_000;
      const load = new Load(() => url, keys, (i) => planFor(from + i), `chaos-${run}-${from}`);
      const phaseMs = Math.max(loadMs, fault.minLoadMs ?? 0);
      load.start(opts.rate);
      const injected = fault.inject({ ...ctx, loadMs: phaseMs });
      await Promise.all([injected, sleep(phaseMs)]);
      await load.stop();
      const ids = [...load.accepted.values()].map((a) => a.id);
      let s = await settle(store, ids, settleMs);
      const deadLettered = s.deadLettered.length;
      if (deadLettered > 0) {
        // As an operator would once the fault is over: replay them, and they must complete.
        const dead = (await store.listDeadLetters({ limit: 100_000 })).filter((d) => s.deadLettered.includes(d.message.orderId ?? ''));
        await execFile(process.execPath, [join(REPO, 'bin', 'wasl.js'), 'replay', '--id', ...dead.map((d) => d.id)], { env: { ...base, WASL_LOG_LEVEL: 'silent', WASL_DATA_DIR: join(dir, 'replay') }, timeout: 120_000 });
        s = await settle(store, ids, settleMs);
      }
      const { effects, duplicates: dups } = sims.duplicates(new Set(ids));
      const lost = s.lost.length + s.missing.length + s.deadLettered.length;
      const line = `${fault.name}: accepted ${ids.length}, completed ${s.completed}${s.otherFinal ? `, ended otherwise ${s.otherFinal}` : ''}, dead-lettered ${deadLettered}${deadLettered ? ' (replayed)' : ''}, lost ${lost}, duplicated effects ${dups.length} of ${effects}${load.refused.length ? `, refused ${load.refused.length}` : ''} — resent ${load.resent}, ${((Date.now() - started) / 1000).toFixed(0)} s`;
      out(line);
      for (const id of [...s.missing].slice(0, 5)) out(`  lost: ${id} is not in the store`);
      for (const id of [...s.lost, ...s.deadLettered].slice(0, 5)) out(`  lost: ${id} is ${(await store.getOrder(id))?.status} and not dead-lettered after ${settleMs / 1000} s`);
      for (const d of dups.slice(0, 5)) out(`  duplicated: ${d.provider} ${d.operation} for ${d.orderId} under ${d.keys} keys`);
      for (const r of load.refused.slice(0, 3)) out(`  refused: ${r.key} ${r.status} ${r.body}`);
      totals.accepted += ids.length;
      totals.completed += s.completed;
      totals.dead += deadLettered;
      totals.lost += lost;
      totals.dup += dups.length;
      totals.refused += load.refused.length;
      // Orders that reached their ministries and no effect recorded: the check would be vacuous.
      if (lost || dups.length || load.refused.length || (s.completed > 0 && effects < s.completed)) failed = true;
    }
  } finally {
    await store.close();
    await Promise.all([gateway.close(), ...workers.map((w) => w.close())]);
    await sims.close();
    // The run's queues go with it; the database stays for a post-mortem until the next run.
    await rabbitmqctl('delete_vhost', VHOST).catch(() => undefined);
  }

  // No citizen's number or name in clear in any process's log.
  const pii = citizens().flatMap((c) => [c.nationalNumber, c.fullNameAr]);
  let leaks = 0;
  let lines = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.log'))) {
    for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) {
      lines++;
      const hit = pii.find((p) => l.includes(p));
      if (hit) {
        if (leaks++ < 3) out(`  citizen's data in clear in ${f}: ${l.replace(hit, '*'.repeat(hit.length)).slice(0, 200)}`);
      }
    }
  }
  if (leaks) failed = true;
  out(`chaos: ${failed ? 'FAILED' : 'passed'} — accepted ${totals.accepted}, completed ${totals.completed}, dead-lettered ${totals.dead} (replayed), lost ${totals.lost}, duplicated effects ${totals.dup}, refused ${totals.refused}, log lines with citizens' data ${leaks} of ${lines}`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((err: unknown) => {
  process.stdout.write(`chaos: FAILED: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
