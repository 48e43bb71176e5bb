/**
 * The sandbox's ministry simulators, started by `wasl start` in the sandbox (hub/hub.ts) on fixed
 * ports — the ones the providers' sandbox endpoints name (contracts/providers/<code>/provider.json).
 *
 * Environment:
 *   WASL_SIMULATORS          `off` to start none (e.g. when a test runs its own)
 *   WASL_SIM_CIVIL_PORT      moi-civil-registry (SOAP), default 8091
 *   WASL_SIM_VEHICLE_PORT    mot-vehicle-registry (REST), default 8092
 *   WASL_SIM_DELAY_MS        delay before every answer, default 0
 *   WASL_SIM_RECORD_FILE     append every request received as a JSON line to this file
 * A port already taken is reported and skipped (another simulator may already serve it).
 */
import { CIVIL_REGISTRY_DEFAULT_PORT, startCivilRegistry } from './moi-civil-registry';
import { startVehicleRegistry, VEHICLE_REGISTRY_DEFAULT_PORT } from './mot-vehicle-registry';
import type { RunningSimulator, SimulatorOptions } from './recorder';

export type { RunningSimulator, SimRequest, SimulatorOptions } from './recorder';
export { startCivilRegistry, PERSON_NOT_FOUND, RECORD_SEALED } from './moi-civil-registry';
export { startVehicleRegistry, VEHICLE_NOT_FOUND, VEHICLE_WITH_LIEN } from './mot-vehicle-registry';

export interface Simulators {
  running: RunningSimulator[];
  close(): Promise<void>;
}

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

function int(env: NodeJS.ProcessEnv, name: string, dflt: number): number {
  const v = env[name];
  const n = v === undefined || v === '' ? dflt : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

export async function startSimulators(env: NodeJS.ProcessEnv = process.env, log?: Log): Promise<Simulators> {
  const running: RunningSimulator[] = [];
  if (env.WASL_SIMULATORS === 'off') return { running, close: async () => undefined };
  const common: Omit<SimulatorOptions, 'port'> = { delayMs: int(env, 'WASL_SIM_DELAY_MS', 0), ...(env.WASL_SIM_RECORD_FILE ? { recordFile: env.WASL_SIM_RECORD_FILE } : {}) };
  const starts: Array<[string, () => Promise<RunningSimulator>]> = [
    ['moi-civil-registry', () => startCivilRegistry({ ...common, port: int(env, 'WASL_SIM_CIVIL_PORT', CIVIL_REGISTRY_DEFAULT_PORT) })],
    ['mot-vehicle-registry', () => startVehicleRegistry({ ...common, port: int(env, 'WASL_SIM_VEHICLE_PORT', VEHICLE_REGISTRY_DEFAULT_PORT) })],
  ];
  for (const [name, start] of starts) {
    try {
      const sim = await start();
      running.push(sim);
      log?.info({ simulator: name, url: sim.url }, 'sandbox simulator started');
    } catch (err) {
      if ((err as { code?: string }).code !== 'EADDRINUSE') {
        await Promise.all(running.map((s) => s.close()));
        throw err;
      }
      log?.warn({ simulator: name }, 'sandbox simulator not started: its port is taken');
    }
  }
  return { running, close: async () => void (await Promise.all(running.map((s) => s.close()))) };
}
