/** Child servers and temp dirs, all removed on exit however the bench ends. */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelKey } from '../../hub/config';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `wasl-bench-${label}-`));
  dirs.add(dir);
  return dir;
}

/** This process's environment for a child, without what would point it at PostgreSQL or RabbitMQ, or profile it. */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['DATABASE_URL', 'AMQP_URL', 'WASL_BENCH_PG_SCHEMA', 'WASL_BENCH_CPU_PROFILE']) delete env[k];
  return env;
}

/** A hub child's environment: `wasl start` on its embedded default in the sandbox, one channel, no rate limit in reach. */
export function hubEnv(dataDir: string, channel: ChannelKey, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...childEnv(),
    WASL_ENV: 'sandbox',
    WASL_DATA_DIR: dataDir,
    WASL_CHANNEL_KEYS: JSON.stringify([channel]),
    WASL_LOG_LEVEL: 'info',
    WASL_RATE_LIMIT: '1000000000',
    HOST: '127.0.0.1',
    PORT: '0',
    ...extra,
  };
}

/** Kills what is left and removes temp dirs; synchronous, so it also runs from process 'exit'. */
export function cleanupSync(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}
process.on('exit', cleanupSync);

/** CPU seconds (user + system, all threads) a process has used so far; NaN off Linux. */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return NaN;
  }
}

/** A process's CPU split (user, system seconds) and its write syscalls and bytes written (to files and sockets alike). */
export function ioCounters(pid: number | undefined): { user: number; system: number; writes: number; writtenBytes: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const io = new Map(
      readFileSync(`/proc/${pid}/io`, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(': ') as [string, string]),
    );
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100, writes: Number(io.get('syscw')), writtenBytes: Number(io.get('wchar')) };
  } catch {
    return { user: NaN, system: NaN, writes: NaN, writtenBytes: NaN };
  }
}

/** The most memory a process has held resident so far (VmHWM), in MB; NaN off Linux. */
export function peakRssMb(pid: number | undefined): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? NaN : Number(kb) / 1024;
  } catch {
    return NaN;
  }
}

/** CPU seconds the whole machine has been busy (all cores, all processes); NaN off Linux. */
export function machineBusySeconds(): number {
  try {
    const [user, nice, system, , , irq, softirq, steal] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
  } catch {
    return NaN;
  }
}

export interface Server {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the child's stdout (the hub's log) goes; /dev/null by default. */
  logFile?: string;
  readyTimeoutMs?: number;
  /** Node's own flags for the child: a hub's are bin/node-flags.js's (`hubFlags`), as `wasl start` runs with. */
  nodeFlags?: readonly string[];
}

/** The V8 flags every hub process runs with (bin/node-flags.js): a hub under test runs with them too. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- bin/ is CommonJS
export const hubFlags: readonly string[] = (require('../../bin/node-flags') as { HUB_NODE_FLAGS: string[] }).HUB_NODE_FLAGS;

/** Forks a TypeScript script and waits for its { ready: url } message. */
export function startServer(script: string, opts: ServerOptions = {}): Promise<Server> {
  const out = openSync(opts.logFile ?? '/dev/null', 'a');
  const child = fork(script, [], {
    // The production loader (as `wasl start`): esbuild without tsx's keepNames wrappers.
    execArgv: [...(opts.nodeFlags ?? []), '--require', join(__dirname, '..', '..', 'bin', 'register.js')],
    env: opts.env ?? process.env,
    stdio: ['ignore', out, 'pipe', 'ipc'],
  });
  closeSync(out);
  children.add(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => (children.delete(child), resolve())));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send('stop');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<Server>((resolve, reject) => {
    let ready = false;
    const fail = (why: string) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${script}: ${why}${err ? `\n${err}` : ''}`));
    };
    const timer = setTimeout(() => fail('not ready in time'), opts.readyTimeoutMs ?? 60_000);
    child.once('exit', (code, signal) => fail(`exited before ready (${signal ?? code})`));
    child.on('message', (m: unknown) => {
      const url = (m as { ready?: unknown } | null)?.ready;
      if (typeof url !== 'string') return;
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      resolve({ url, child, stderr: () => err, stop });
    });
  });
}

/** Sends `message` to a child and resolves with the `key` field of the first reply that has one. */
export function ask<T>(child: ChildProcess, message: string, key: string): Promise<T> {
  return new Promise<T>((resolve) => {
    const on = (m: unknown) => {
      const v = (m as Record<string, unknown> | null)?.[key];
      if (v === undefined) return;
      child.off('message', on);
      resolve(v as T);
    };
    child.on('message', on);
    child.send(message);
  });
}
