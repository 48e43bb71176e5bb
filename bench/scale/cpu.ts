/**
 * CPU seconds of groups of processes over a window, from /proc (Linux; NaN elsewhere): a
 * group's processes are found again at every sample, so PostgreSQL backends that a pool opens
 * during the window count from their birth, and those that exit lose at most one sample period.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds } from '../lib/procs';

export interface Group {
  label: string;
  /** Whether a process (its pid, /proc/<pid>/comm and cmdline, NUL separators as spaces) belongs. */
  match: (pid: number, comm: string, cmdline: string) => boolean;
}

function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

export function allPids(): number[] {
  try {
    return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  } catch {
    return [];
  }
}

/** Samples every `everyMs` until stop(), then returns each group's CPU seconds over the window. */
export class CpuWindow {
  private readonly seen = new Map<string, Map<number, { first: number; last: number }>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly groups: Group[],
    everyMs = 500,
  ) {
    for (const g of groups) this.seen.set(g.label, new Map());
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), everyMs);
  }

  private sample(initial: boolean): void {
    const procs = allPids().map((pid) => ({ pid, comm: readProc(pid, 'comm'), cmdline: readProc(pid, 'cmdline') }));
    for (const g of this.groups) {
      const seen = this.seen.get(g.label)!;
      for (const p of procs) {
        if (!g.match(p.pid, p.comm, p.cmdline)) continue;
        const cpu = cpuSeconds(p.pid);
        if (!Number.isFinite(cpu)) continue;
        const s = seen.get(p.pid);
        // A process first seen after the window opened was born inside it: all its CPU counts.
        if (s) s.last = cpu;
        else seen.set(p.pid, { first: initial ? cpu : 0, last: cpu });
      }
    }
  }

  stop(): Map<string, number> {
    clearInterval(this.timer);
    this.sample(false);
    const out = new Map<string, number>();
    for (const [label, seen] of this.seen) out.set(label, [...seen.values()].reduce((n, s) => n + (s.last - s.first), 0));
    return out;
  }
}
