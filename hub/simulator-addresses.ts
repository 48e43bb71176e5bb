/**
 * Where a sandbox hub's simulators listen. `wasl start` in the sandbox starts each simulator on a
 * free port unless one is pinned (sandbox/simulators), so several sandboxes and test runs share a
 * machine; it records the addresses in <data dir>/simulators.json (0600, like the other data
 * files) while it runs, and removes them when it stops. Another `wasl` command on the same data
 * dir (`wasl provider call --env sandbox`, `wasl payments reconcile`, a hub started with
 * WASL_SIMULATORS=off) points the providers' sandbox endpoints at them through the connectors'
 * sandbox overrides (connectors/sandbox-overrides.ts). A file left by a process that is gone is
 * ignored.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { overrideSandbox } from '../connectors/sandbox-overrides';
import { writePrivateFile } from './private-files';

export const SIMULATORS_FILE = 'simulators.json';

export interface SimulatorAddresses {
  /** The process serving them (the sandbox hub). */
  pid: number;
  startedAt: string;
  /** Provider code → the simulator's URL, which stands for the provider's sandbox endpoint. */
  endpoints: Record<string, string>;
}

export function simulatorsFile(dataDir: string): string {
  return join(dataDir, SIMULATORS_FILE);
}

export function recordSimulators(dataDir: string, endpoints: Record<string, string>): void {
  const record: SimulatorAddresses = { pid: process.pid, startedAt: new Date().toISOString(), endpoints };
  writePrivateFile(simulatorsFile(dataDir), `${JSON.stringify(record, null, 2)}\n`);
}

/** Removes the record if this process wrote it. */
export function forgetSimulators(dataDir: string): void {
  const r = readRecord(dataDir);
  if (r?.pid === process.pid) rmSync(simulatorsFile(dataDir), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

function isLoopbackUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(u.hostname);
  } catch {
    return false;
  }
}

function readRecord(dataDir: string): SimulatorAddresses | undefined {
  const file = simulatorsFile(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as Partial<SimulatorAddresses>;
    if (!Number.isInteger(r.pid) || !r.endpoints || typeof r.endpoints !== 'object') return undefined;
    // Simulators listen on loopback: an address elsewhere in the file is not one (a sandbox call must never leave the machine).
    const endpoints = Object.fromEntries(Object.entries(r.endpoints).filter(([, v]) => typeof v === 'string' && isLoopbackUrl(v)));
    return { pid: r.pid!, startedAt: String(r.startedAt ?? ''), endpoints };
  } catch {
    return undefined;
  }
}

/** The simulators recorded in `dataDir` by a process still running, if any. */
export function recordedSimulators(dataDir: string): SimulatorAddresses | undefined {
  const r = readRecord(dataDir);
  return r && alive(r.pid) ? r : undefined;
}

/** Points the sandbox endpoints at the simulators recorded in `dataDir` (when a live process recorded some); returns what it used. */
export function useRecordedSimulators(dataDir: string): Record<string, string> | undefined {
  const r = recordedSimulators(dataDir);
  if (!r || Object.keys(r.endpoints).length === 0) return undefined;
  overrideSandbox({ endpoints: r.endpoints });
  return r.endpoints;
}
