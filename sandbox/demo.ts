/**
 * `npm run demo [-- --orders N --seed S]`: the sandbox at work. Starts a hub and every simulator
 * (as `wasl sandbox test` does, on free ports), then submits a realistic mix of orders through
 * the gateway over HTTP — the seed citizens (sandbox/data/citizens.ts) asking for every kind of
 * service from the three channels (centres paying online or in cash, the portal, the
 * expatriates' portal paying by card), collected at the counter, delivered electronically, by
 * post or by international mail — and shows them going through payment, the ministries and
 * delivery until each has completed. Ends with a table per ministry and per channel, and how
 * long it took. Exit 1 when an order did not complete.
 *
 * `--failures N` makes N orders meet a ministry outage longer than their retries: they end
 * dead-lettered, waiting for an operator. `--linger S` keeps the hub up S seconds after, with a
 * demo operator, so the dashboard (/monitor) shows the traffic and replays those orders — they
 * then complete, the outage being over.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { request } from 'undici';
import type { ChannelKind, DeliveryMethod, Order, OrderRequest } from '../contracts/types';
import type { CatalogueService } from '../hub/catalogue';
import { exampleRequest } from '../hub/gateway/openapi';
import { hashPassword } from '../hub/operators';
import { startEnvironment, type SandboxEnvironment } from './runner/environment';
import { citizens, seededRandom, type Citizen } from './data/citizens';

const COMPLETED = new Set(['delivered', 'ready-for-pickup']);
/** Longer than the sandbox's bus retries (about 4 s): the order is dead-lettered; a replay after it completes. */
const OUTAGE_MS = 12_000;
const RESTING = new Set(['delivered', 'ready-for-pickup', 'refunded', 'rejected', 'failed', 'cancelled', 'returned']);

interface Planned {
  service: CatalogueService;
  channel: ChannelKind;
  body: OrderRequest;
}

/** The citizen's own records in the fields where the service asks for them (their car, licence, exam, degree). */
function fieldsFor(service: CatalogueService, c: Citizen): Record<string, unknown> {
  const fields = { ...(service.definition.fields.examples[0] as Record<string, unknown>) };
  const props = (service.definition.fields.properties ?? {}) as Record<string, unknown>;
  const v = c.vehicles[0];
  if (v && 'plateNumber' in props) Object.assign(fields, { plateNumber: v.plate, plateGovernorate: v.governorate });
  if (c.licence && 'licenceNumber' in props && fields.licenceNumber && /^[0-9]+$/.test(String(fields.licenceNumber))) fields.licenceNumber = c.licence.number;
  if (v && 'policyNumber' in props) fields.policyNumber = v.policyNumber;
  if (c.school && 'seatNumber' in props) Object.assign(fields, service.definition.code.startsWith('basic') ? { examYear: c.school.basicYear, seatNumber: c.school.basicSeat } : { examYear: c.school.secondaryYear, seatNumber: c.school.secondarySeat });
  if (c.university && 'university' in props && (props.university as { enum?: string[] }).enum?.includes(c.university.university)) fields.university = c.university.university;
  if (c.university && 'graduationYear' in props && 'degree' in props && !('institution' in props)) Object.assign(fields, { degree: c.university.degree, graduationYear: c.university.graduationYear });
  return fields;
}

export function planOrders(services: CatalogueService[], n: number, seed: number): Planned[] {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const adults = citizens().filter((c) => Number(c.birthDate.slice(0, 4)) <= 2007);
  const out: Planned[] = [];
  for (let i = 0; i < n; i++) {
    const service = services[i % services.length]!;
    const def = service.definition;
    const channel = pick(def.channels);
    const c = pick(adults);
    // Expatriates have their documents sent abroad when the service can; otherwise any method it offers.
    const method: DeliveryMethod = channel === 'expat-portal' && def.delivery.includes('international-post') && r() < 0.6 ? 'international-post' : pick(def.delivery.filter((m) => channel === 'expat-portal' || m !== 'international-post').length ? def.delivery.filter((m) => channel === 'expat-portal' || m !== 'international-post') : def.delivery);
    const delivery: OrderRequest['delivery'] =
      method === 'domestic-post'
        ? { method, governorate: 'damascus', city: 'دمشق', address: 'المزة، شارع الجلاء، بناء ١٢' }
        : method === 'international-post'
          ? { method, country: pick(['DE', 'SE', 'AE', 'LB', 'TR', 'NL']), city: 'City', address: 'Main street 10' }
          : channel === 'centre' || method !== 'counter'
            ? { method }
            : // Ordered online, collected at a centre: which one.
              { method, centre: { code: 'DAM-01', governorate: 'damascus' } };
    const base = exampleRequest(service);
    const body: OrderRequest = {
      ...base,
      applicant: { nationalNumber: c.nationalNumber, fullName: { ar: c.fullNameAr, latin: c.fullNameLatin }, fatherName: c.fatherName, motherName: c.motherName, birthDate: c.birthDate, phone: c.phone },
      fields: fieldsFor(service, c),
      delivery,
      ...(channel === 'centre' && r() < 0.35 ? { paymentMethod: 'cash-at-counter' as const } : {}),
    };
    if (channel !== 'centre') delete (body as { centre?: unknown }).centre;
    out.push({ service, channel, body });
  }
  return out;
}

async function submit(env: SandboxEnvironment, p: Planned, i: number): Promise<string | { error: string }> {
  const res = await request(`${env.url}/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.keys[p.channel].key}`, 'idempotency-key': `demo-${process.pid}-${i}`, 'content-type': 'application/json' },
    body: JSON.stringify(p.body),
  });
  const text = await res.body.text();
  return res.statusCode === 202 ? (JSON.parse(text) as Order).id : { error: `${res.statusCode} ${text.slice(0, 300)}` };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...r[i]!].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const opts = new Command('demo')
    .description('Submit a realistic mix of orders through the sandbox and watch them complete')
    .option('-n, --orders <n>', 'how many orders', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 5000) throw new InvalidArgumentError('1 to 5000');
      return n;
    }, 144)
    .option('--seed <n>', 'the mix (the same seed, the same orders)', (v) => Number(v), 7)
    .option('--failures <n>', 'orders that meet a ministry outage longer than their retries (dead-lettered, for an operator to replay)', (v) => Number(v), 0)
    .option('--linger <seconds>', 'keep the hub and its dashboard up this long after the orders (Ctrl-C ends it)', (v) => Number(v), 0)
    .parse()
    .opts<{ orders: number; seed: number; failures: number; linger: number }>();
  const started = Date.now();
  const out = process.stdout;
  out.write('starting the sandbox: the hub, the ministries, the payment companies and the post…\n');
  const password = randomBytes(9).toString('base64url');
  const operators = opts.linger > 0 ? [{ user: 'demo', passwordHash: await hashPassword(password), role: 'operator' as const }] : undefined;
  const env = await startEnvironment({ flowsDir: resolve(process.env.WASL_FLOWS_DIR || resolve(__dirname, '..', 'flows')), ...(operators ? { operators } : {}) });
  try {
    const services = env.hub.catalogue.offered('sandbox');
    const plan = planOrders(services, opts.orders, opts.seed);
    out.write(`hub at ${env.url}: ${services.length} services; submitting ${plan.length} orders from ${[...new Set(plan.map((p) => p.channel))].join(', ')}\n`);
    const t0 = Date.now();
    const ids: Array<string | { error: string }> = new Array(plan.length);
    const failed = new Set<string>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < plan.length) {
          const i = next++;
          const failing = i % Math.max(1, Math.floor(plan.length / Math.max(1, opts.failures))) === 1 && i < plan.length && opts.failures > 0 && failed.size < opts.failures;
          const release = failing ? env.scripts.expect() : undefined;
          try {
            ids[i] = await submit(env, plan[i]!, i);
            const id = ids[i];
            if (failing && typeof id === 'string') {
              const def = plan[i]!.service.definition;
              env.scripts.set(id, { providers: { [def.provider.code]: { [String(def.provider.operation)]: { fault: { kind: 'outage', forMs: OUTAGE_MS } } } } });
              failed.add(id);
            }
          } finally {
            release?.();
          }
        }
      }),
    );
    const accepted = ids.filter((x): x is string => typeof x === 'string');
    const refused = ids.filter((x): x is { error: string } => typeof x !== 'string');
    out.write(`accepted ${accepted.length} in ${((Date.now() - t0) / 1000).toFixed(1)} s${refused.length ? `, refused ${refused.length}: ${refused[0]!.error}` : ''}\n`);

    const doneAt = new Map<string, number>();
    const orders = new Map<string, Order>();
    const deadline = Date.now() + 180_000;
    const tty = out.isTTY === true;
    let last = 0;
    while (Date.now() < deadline) {
      for (const id of accepted) {
        if (doneAt.has(id)) continue;
        const o = (await env.hub.store.getOrder(id))!;
        orders.set(id, o);
        if (RESTING.has(o.status)) doneAt.set(id, Date.now());
        else if (failed.has(id) && (await env.hub.store.listDeadLetters({ limit: 1000 })).some((d) => d.message.orderId === id)) doneAt.set(id, Date.now());
      }
      const counts = new Map<string, number>();
      for (const o of orders.values()) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
      const line = `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s  ${[...counts].sort().map(([s, n]) => `${s} ${n}`).join(' · ')}`;
      if (tty) out.write(`\r${line}\x1b[K`);
      else if (Date.now() - last > 2000) {
        out.write(`${line}\n`);
        last = Date.now();
      }
      if (doneAt.size === accepted.length) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (tty) out.write('\n');

    const byMinistry = new Map<string, { n: number; done: number; ms: number[] }>();
    const byChannel = new Map<string, { n: number; done: number }>();
    accepted.forEach((id) => {
      const i = ids.indexOf(id);
      const p = plan[i]!;
      const o = orders.get(id)!;
      const m = byMinistry.get(p.service.definition.provider.code) ?? { n: 0, done: 0, ms: [] };
      const ch = byChannel.get(p.channel) ?? { n: 0, done: 0 };
      m.n++;
      ch.n++;
      if (COMPLETED.has(o.status)) {
        m.done++;
        ch.done++;
        m.ms.push(Date.parse(o.updatedAt) - Date.parse(o.createdAt));
      }
      byMinistry.set(p.service.definition.provider.code, m);
      byChannel.set(p.channel, ch);
    });
    const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : 0);
    out.write(`\n${table([['ministry', 'orders', 'completed', 'median (ms)'], ...[...byMinistry].sort().map(([k, v]) => [k, String(v.n), String(v.done), String(median(v.ms))])])}\n`);
    out.write(`\n${table([['channel', 'orders', 'completed'], ...[...byChannel].sort().map(([k, v]) => [k, String(v.n), String(v.done)])])}\n`);
    const completed = [...orders.values()].filter((o) => COMPLETED.has(o.status)).length;
    const elapsed = (Date.now() - started) / 1000;
    out.write(`\n${completed} of ${plan.length} orders completed; the demo took ${elapsed.toFixed(1)} s (orders ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    for (const o of [...orders.values()].filter((x) => !COMPLETED.has(x.status) && !failed.has(x.id)).slice(0, 5)) out.write(`  not completed: ${o.id} ${o.service.code} ${o.status} ${o.timeline.at(-1)?.reason?.code ?? ''}\n`);
    if (failed.size) out.write(`${failed.size} orders met a ministry outage longer than their retries, on purpose: dead-lettered, waiting for an operator to replay them\n`);
    process.exitCode = completed + failed.size === plan.length ? 0 : 1;
    if (opts.linger > 0) {
      out.write(`\nthe dashboard: ${env.url}/monitor — user demo, password ${password} (for ${opts.linger} s; Ctrl-C ends it)\n`);
      await new Promise<void>((done) => {
        const t = setTimeout(done, opts.linger * 1000);
        process.once('SIGINT', () => {
          clearTimeout(t);
          done();
        });
      });
    }
  } finally {
    await env.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`demo: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  });
}
