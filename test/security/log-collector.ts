/**
 * Collects every log line the test run writes, wherever it goes, so that one scan at the very end
 * (pii-in-logs.test.ts) can prove no citizen's data was ever logged in clear.
 *
 * Three taps, installed once, when the first security test file is loaded (mocha loads every spec
 * file before it runs any test, so nothing logs before they are in place):
 *
 *  - pino: every logger of this process — testHub's, the ones tests make with createLogger on a
 *    LogSink, on stdout or on a file, and all their children (Fastify's request loggers, Node-RED's)
 *    — serialises its lines with the one `asJson` of pino's shared prototype; wrapping it sees the
 *    exact text written, after hub/log.ts censored it, whatever the destination. Tapping LogSink
 *    alone would miss loggers that write to stdout or files.
 *  - LogSink: what a test writes into a sink by hand (not through pino) is taken too.
 *  - child processes: the stdout and stderr of `spawn` and `spawnSync` (the CLI and `wasl start`
 *    tests), of which the lines that are the hub's JSON log lines are kept. Other output (a CLI
 *    printing an order it was asked for) is the command's answer, not a log.
 *
 * Lines are kept as they come and scanned in batches (off the logging call) so that a test that
 * logs a lot is not slowed by the scan.
 */
import { StringDecoder } from 'node:string_decoder';
import { relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import pino from 'pino';
import { citizens } from '../../sandbox/data/citizens';
import { CITIZEN, LogSink } from '../helpers';

// ─────────────────────────────── the scanner ───────────────────────────────

export interface Finding {
  kind: 'national number' | 'phone' | 'name' | 'e-mail' | 'address';
  value: string;
}

export interface Person {
  nationalNumber: string;
  names: string[];
  phone?: string;
  email?: string;
  address?: string;
}

const ARABIC = /[\u0600-\u06FF]/;
const DIGIT_RUN = /\d+/g;

/** What would betray one of `people` in a line: their national number, phone, names, e-mail, address. */
export class PiiScanner {
  private readonly numbers = new Set<string>();
  private readonly phones = new Set<string>();
  private readonly arabic: string[] = [];
  private readonly latin: string[] = [];
  private readonly emails: string[] = [];
  private readonly addresses: string[] = [];

  constructor(people: Person[]) {
    for (const p of people) {
      this.numbers.add(p.nationalNumber);
      // A phone is found as its run of digits, with or without the "+".
      if (p.phone) this.phones.add(p.phone.replace(/\D/g, ''));
      for (const n of p.names) (ARABIC.test(n) ? this.arabic : this.latin).push(n.normalize('NFC'));
      if (p.email) this.emails.push(p.email.toLowerCase());
      if (p.address) this.addresses.push(p.address.normalize('NFC'));
    }
  }

  scan(line: string): Finding[] {
    const found: Finding[] = [];
    this.scanText(line, found);
    // A JSON line may carry Arabic as \u escapes; what it says is what counts.
    if (line.includes('\\u')) {
      try {
        this.scanText(strings(JSON.parse(line)).join('\n'), found);
      } catch {
        // not JSON: the raw text was scanned
      }
    }
    const seen = new Set<string>();
    return found.filter((f) => (seen.has(f.kind + f.value) ? false : (seen.add(f.kind + f.value), true)));
  }

  private scanText(text: string, found: Finding[]): void {
    // Exact runs of digits: an 11-digit national number inside a longer number is another number.
    for (const m of text.matchAll(DIGIT_RUN)) {
      const run = m[0];
      if (run.length === 11 && this.numbers.has(run)) found.push({ kind: 'national number', value: run });
      else if (run.length >= 9 && this.phones.has(run)) found.push({ kind: 'phone', value: run });
    }
    if (ARABIC.test(text)) {
      const t = text.normalize('NFC');
      for (const n of this.arabic) if (t.includes(n)) found.push({ kind: 'name', value: n });
      for (const a of this.addresses) if (t.includes(a)) found.push({ kind: 'address', value: a });
    }
    for (const n of this.latin) if (text.includes(n)) found.push({ kind: 'name', value: n });
    if (text.includes('@')) {
      const t = text.toLowerCase();
      for (const e of this.emails) if (t.includes(e)) found.push({ kind: 'e-mail', value: e });
    }
  }
}

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

/** A value as a failure message may show it: enough to find it, not enough to read it. */
export function mask(value: string): string {
  if (/^\d+$/.test(value)) return value.length <= 6 ? '*'.repeat(value.length) : `${value.slice(0, 4)}${'*'.repeat(value.length - 6)}${value.slice(-2)}`;
  const chars = [...value];
  return `${chars[0]}${'*'.repeat(Math.max(chars.length - 1, 1))}`;
}

/** `line` with every finding masked, cut to a readable length around the first one. */
export function maskLine(line: string, findings: Finding[]): string {
  let out = line;
  for (const f of findings) out = out.split(f.value).join(mask(f.value));
  return out.length > 400 ? `${out.slice(0, 400)}…` : out;
}

/** The seed citizens and the tests' citizen: the people whose data must never be logged. */
export function knownPeople(): Person[] {
  const people: Person[] = citizens().map((c) => ({ nationalNumber: c.nationalNumber, names: [c.fullNameAr, c.fullNameLatin], phone: c.phone }));
  people.push({ nationalNumber: CITIZEN.nationalNumber, names: [CITIZEN.fullNameAr, CITIZEN.fullNameLatin], phone: CITIZEN.phone, email: CITIZEN.email, address: CITIZEN.address });
  // The catalogue's examples (hub/gateway/openapi.ts) are the first seed citizen, with her e-mail and a street.
  people.push({ nationalNumber: '01020304050', names: ['ريم خالد الأحمد', 'Reem Khaled Al-Ahmad'], email: 'reem@example.org', address: 'المزة، شارع الجلاء، بناء ١٢' });
  return people;
}

// ─────────────────────────────── the collector ───────────────────────────────

export interface Offence {
  source: string;
  test: string;
  line: string;
  findings: Finding[];
}

interface Entry {
  line: string;
  source: string;
  test: string;
}

const REPO = resolve(__dirname, '..', '..');
const BATCH = 20_000;

class Collector {
  readonly scanner = new PiiScanner(knownPeople());
  /** Lines by kind of tap. */
  readonly counts = { pino: 0, pinoToLogSink: 0, logSinkDirect: 0, logSinkReceived: 0, child: 0 };
  readonly bySource = new Map<string, number>();
  /** Tests during which at least one line was written. */
  readonly testsWithLines = new Set<string>();
  readonly offences: Offence[] = [];
  /** Lines holding one of these markers are deliberate leaks (the positive controls): kept apart. */
  readonly controlMarkers = new Set<string>();
  readonly controlOffences: Offence[] = [];
  private pending: Entry[] = [];
  private scheduled = false;
  test = '(loading)';

  add(line: string, source: string): void {
    this.pending.push({ line, source, test: this.test });
    this.bySource.set(source, (this.bySource.get(source) ?? 0) + 1);
    this.testsWithLines.add(this.test);
    if (this.pending.length >= BATCH && !this.scheduled) {
      this.scheduled = true;
      setTimeout(() => this.flush(), 0).unref();
    }
  }

  /** Scans every line not scanned yet. */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (const e of batch) {
      const findings = this.scanner.scan(e.line);
      if (findings.length === 0) continue;
      const offence = { ...e, findings };
      if ([...this.controlMarkers].some((m) => e.line.includes(m))) this.controlOffences.push(offence);
      else this.offences.push(offence);
    }
  }

  get total(): number {
    return this.counts.pino + this.counts.logSinkDirect + this.counts.child;
  }
}

let collector: Collector | undefined;

type PinoInternals = Record<symbol, unknown> & { bindings(): Record<string, unknown> };

/** Installs the taps (once per process) and returns the collector. */
export function logCollector(): Collector {
  if (collector) return collector;
  const c = (collector = new Collector());
  tapPino(c);
  tapLogSink(c);
  tapChildProcesses(c);
  return c;
}

function tapPino(c: Collector): void {
  const { asJsonSym, streamSym } = pino.symbols as unknown as Record<string, symbol>;
  // instance → its own prototype (proto()) → pino's one shared prototype, where asJson lives.
  const shared = Object.getPrototypeOf(Object.getPrototypeOf(pino({ level: 'silent' }))) as PinoInternals;
  const asJson = shared[asJsonSym!] as (this: PinoInternals, ...args: unknown[]) => string;
  if (typeof asJson !== 'function') throw new Error("pino's shared prototype has no asJson any more: the log collector cannot see the lines; adapt test/security/log-collector.ts");
  const labels = new WeakMap<object, string>();
  const labelOf = (logger: PinoInternals): string => {
    let label = labels.get(logger);
    if (label === undefined) {
      const stream = logger[streamSym!] as object | undefined;
      const dest = stream instanceof LogSink ? 'LogSink' : (stream?.constructor?.name ?? 'stream');
      const { app: _app, reqId: _reqId, ...bound } = logger.bindings();
      const parts = Object.entries(bound)
        .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
        .map(([k, v]) => `${k}=${String(v)}`);
      label = `pino→${dest}${parts.length ? ` (${parts.join(', ')})` : ''}`;
      labels.set(logger, label);
    }
    return label;
  };
  shared[asJsonSym!] = function (this: PinoInternals, ...args: unknown[]): string {
    const s = asJson.apply(this, args);
    try {
      const stream = this[streamSym!];
      c.counts.pino++;
      if (stream instanceof LogSink) {
        c.counts.pinoToLogSink++;
        // The sink receives exactly this text next: it is not taken twice (tapLogSink).
        (stream as LogSink & { [FROM_PINO]?: string })[FROM_PINO] = s;
      }
      c.add(s.endsWith('\n') ? s.slice(0, -1) : s, labelOf(this));
    } catch {
      // never break a logger because of the collector
    }
    return s;
  };
}

const FROM_PINO = Symbol('the line pino is writing to this sink');

function tapLogSink(c: Collector): void {
  const write = LogSink.prototype._write;
  LogSink.prototype._write = function (this: LogSink & { [FROM_PINO]?: string }, chunk: Buffer, enc: string, cb: () => void): void {
    const text = Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    const lines = text.split('\n').filter(Boolean);
    c.counts.logSinkReceived += lines.length;
    if (this[FROM_PINO] !== undefined && this[FROM_PINO] === text) this[FROM_PINO] = undefined;
    else {
      for (const l of lines) c.add(l, 'LogSink (written directly)');
      c.counts.logSinkDirect += lines.length;
    }
    write.call(this, chunk, enc, cb);
  };
}

/** A hub log line: pino's JSON with wasl's base. */
function isHubLogLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    return o.app === 'wasl' && 'level' in o;
  } catch {
    return false;
  }
}

function tapChildProcesses(c: Collector): void {
   
  const cp = require('node:child_process') as typeof import('node:child_process');
  const label = (file: unknown, args: unknown) => {
    const argv = Array.isArray(args) ? (args as unknown[]).map(String) : [];
    const script = argv.find((a) => /\.(ts|js)$/.test(a) && !a.includes('register')) ?? String(file);
    const shown = script.startsWith(REPO) ? relative(REPO, script) : script;
    const command = argv.slice(argv.indexOf(script) + 1).find((a) => !a.startsWith('-')) ?? '';
    return `child process (${shown}${command ? ` ${command}` : ''})`;
  };
  const take = (text: string, source: string) => {
    for (const line of text.split('\n')) {
      if (!isHubLogLine(line)) continue;
      c.counts.child++;
      c.add(line, source);
    }
  };
  const tap = (stream: Readable | null | undefined, source: string) => {
    if (!stream) return;
    // Wrapping push sees every chunk whoever reads the stream, and however (events, iterator,
    // pipe), without adding a reader that would change how the test's own reading behaves.
    const push = stream.push;
    const decoder = new StringDecoder('utf8');
    let rest = '';
    stream.push = function (this: Readable, chunk: unknown, encoding?: BufferEncoding): boolean {
      try {
        if (chunk === null) {
          rest += decoder.end();
          if (rest) take(rest, source);
          rest = '';
        } else if (chunk !== undefined) {
          rest += Buffer.isBuffer(chunk) ? decoder.write(chunk) : String(chunk);
          const cut = rest.lastIndexOf('\n');
          if (cut >= 0) {
            take(rest.slice(0, cut), source);
            rest = rest.slice(cut + 1);
          }
        }
      } catch {
        // never break a child's output because of the collector
      }
      return push.call(this, chunk, encoding);
    };
  };
  const spawn = cp.spawn;
  cp.spawn = function (this: unknown, ...args: unknown[]) {
    const child = (spawn as (...a: unknown[]) => ReturnType<typeof cp.spawn>).apply(this, args);
    const source = label(args[0], args[1]);
    tap(child.stdout, source);
    tap(child.stderr, source);
    return child;
  } as typeof cp.spawn;
  const spawnSync = cp.spawnSync;
  cp.spawnSync = function (this: unknown, ...args: unknown[]) {
    const r = (spawnSync as (...a: unknown[]) => ReturnType<typeof cp.spawnSync>).apply(this, args);
    const source = label(args[0], args[1]);
    for (const out of [r.stdout, r.stderr]) if (out) take(Buffer.isBuffer(out) ? out.toString('utf8') : String(out), source);
    return r;
  } as typeof cp.spawnSync;
}
