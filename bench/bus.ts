/**
 * `npm run bench:bus` (tsx bench/bus.ts): the bus against its baselines, in the same run.
 *
 * RabbitMQ section: 50,000 persistent events published with confirms (batches of 500, as the
 * relay publishes) and consumed with manual ack, through RabbitBus and through raw amqplib with
 * the same settings (bench/bus-rabbitmq.ts). Three rounds in alternating order; the best of each
 * is compared (the broker shares the machine's CPUs with this process, so single runs are noisy).
 * Target: the bus at >= 80% of raw amqplib.
 *
 * Other sections (the embedded back end) can be added to SECTIONS; each prints its own lines and
 * returns its ratio line. Everything is bounded in time; the exit code is 0 whatever the result.
 * Env: AMQP_URL (default amqp://guest:guest@127.0.0.1:5672), BENCH_BUS_EVENTS (default 50000),
 * BENCH_BUS_ROUNDS (default 3).
 */
import { rabbitBusRate, rawAmqpRate, type RabbitBenchOptions, type Rate } from './bus-rabbitmq';
import { bareLoop, embeddedBus } from './bus-embedded';
import { ratioLine } from './lib/ratio';

export { rabbitBusRate, rawAmqpRate, memoryStore, type Rate, type RabbitBenchOptions } from './bus-rabbitmq';

export const fmt = (r: Rate): string =>
  `${Math.round(r.eventsPerSec).toLocaleString('en-US').padStart(7)} events/s  (${r.done} in ${r.seconds.toFixed(2)} s${r.completed ? '' : ', TIMED OUT'}; client CPU ${r.cpuUsPerEvent.toFixed(0)} µs/event)`;

/** A section of the benchmark: prints its figures, returns its final ratio line. */
export type Section = () => Promise<string>;

export async function rabbitSection(): Promise<string> {
  const opts: RabbitBenchOptions = {
    url: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    n: Number(process.env.BENCH_BUS_EVENTS ?? 50_000),
    batch: 500,
    prefetch: 64,
    timeoutMs: 120_000,
  };
  console.log(`RabbitMQ: ${opts.n} persistent events, confirms per window of ${opts.batch}, quorum queue, prefetch ${opts.prefetch}, manual ack`);
  try {
    const raw: Rate[] = [];
    const bus: Rate[] = [];
    const rounds = Number(process.env.BENCH_BUS_ROUNDS ?? 3);
    for (let round = 0; round < rounds; round++) {
      // Alternating order, so neither side always runs on a warmer (or more tired) broker.
      for (const which of round % 2 ? (['bus', 'raw'] as const) : (['raw', 'bus'] as const)) {
        const r = which === 'raw' ? await rawAmqpRate(opts) : await rabbitBusRate(opts);
        (which === 'raw' ? raw : bus).push(r);
        console.log(`  ${which === 'raw' ? 'raw amqplib' : 'RabbitBus  '} ${fmt(r)}`);
      }
    }
    const best = (rs: Rate[]) => Math.max(...rs.map((r) => r.eventsPerSec));
    const median = (rs: Rate[]) => {
      const v = rs.map((r) => r.eventsPerSec).sort((a, b) => a - b);
      return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
    };
    console.log(`  median: raw amqplib ${Math.round(median(raw))} events/s, RabbitBus ${Math.round(median(bus))} events/s (ratio ${(median(bus) / median(raw)).toFixed(2)})`);
    const cpu = (rs: Rate[]) => (rs.reduce((a, r) => a + r.cpuUsPerEvent, 0) / rs.length).toFixed(0);
    console.log(`  client CPU per event (mean): raw amqplib ${cpu(raw)} µs, RabbitBus ${cpu(bus)} µs`);
    console.log(`  best:   raw amqplib ${Math.round(best(raw))} events/s, RabbitBus ${Math.round(best(bus))} events/s (ratio ${(best(bus) / best(raw)).toFixed(2)})`);
    // The best of each: the least disturbed run of either (the broker shares the CPUs with us).
    return ratioLine('bus', best(bus) / best(raw), 0.8);
  } catch (err) {
    console.log(`  RabbitMQ benchmark failed: ${(err as Error).message}`);
    return 'bus: ratio 0.00 (target >= 0.80) — not measured, see above';
  }
}

/** The embedded back end against a bare better-sqlite3 insert-then-delete loop, same durability. */
export async function embeddedSection(): Promise<string> {
  const n = Number(process.env.BENCH_BUS_EMBEDDED_EVENTS ?? 20_000);
  console.log(`embedded: ${n} events published in batches of 500 and consumed with ack, against a bare insert+delete loop (WAL, synchronous=FULL), same process`);
  const bare = bareLoop(n);
  const bus = await embeddedBus(n);
  console.log(`  bare better-sqlite3 insert+delete  ${Math.round(bare).toLocaleString('en-US').padStart(7)} events/s`);
  console.log(`  embedded bus                       ${Math.round(bus).toLocaleString('en-US').padStart(7)} events/s`);
  return ratioLine('bus-embedded', bus / bare, 0.5);
}

// The RabbitMQ line is the benchmark's own final line.
export const SECTIONS: Section[] = [embeddedSection, rabbitSection];

if (require.main === module) {
  // Bounded whatever happens: a hung broker must not hang the bench.
  const guard = setTimeout(() => {
    console.log('bus: ratio 0.00 (target >= 0.80) — benchmark timed out');
    process.exit(0);
  }, 10 * 60_000);
  guard.unref();
  void (async () => {
    const lines: string[] = [];
    for (const section of SECTIONS) lines.push(await section());
    for (const l of lines) console.log(l);
    process.exit(0);
  })().catch((err: Error) => {
    console.log(`bus: ratio 0.00 (target >= 0.80) — ${err.message}`);
    process.exit(0);
  });
}
