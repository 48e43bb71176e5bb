/**
 * The sandbox's ministry simulators, started by `wasl start` in the sandbox (handed to the hub by
 * ../extension.ts; startHub in hub/hub.ts starts them), each on a free port from the OS unless its
 * port is pinned, so any number of sandboxes and test runs share a machine. The providers' sandbox
 * endpoints (contracts/providers/<code>/provider.json) are pointed at them for this process
 * (connectors/sandbox-overrides.ts, as the sandbox runner does); the hub logs and records the
 * addresses (hub/simulator-addresses.ts: <data dir>/simulators.json).
 *
 * Environment:
 *   WASL_SIMULATORS          `off` to start none (e.g. when a test runs its own)
 *   WASL_SIM_PORTS           `fixed`: every simulator on the port its provider's sandbox endpoint names
 *                            (8091–8095, 8096… for imported providers), as before; free ports otherwise
 *   WASL_SIM_CIVIL_PORT      pins moi-civil-registry (SOAP), e.g. 8091
 *   WASL_SIM_VEHICLE_PORT    pins mot-vehicle-registry (REST), e.g. 8092
 *   WASL_SIM_EPAY_PORT       pins sy-epay, the national e-payment company (REST), e.g. 8093
 *   WASL_SIM_INTLPAY_PORT    pins intl-pay, the international payment company (REST), e.g. 8094
 *   WASL_SIM_POST_PORT       pins sy-post, the national post (REST), e.g. 8095
 *   WASL_SIM_<CODE>_PORT     pins the generated simulator of an imported provider (code upper-cased,
 *                            `-` as `_`: WASL_SIM_MOJ_JUDICIAL_RECORDS_PORT); 0 = a free port
 *   WASL_SIM_DELAY_MS        delay before every answer, default 0
 *   WASL_SIM_PAY_DELAY_MS    time from a new invoice / payment intent to its payment and callback, default 300
 *   WASL_SIM_POST_DELAY_MS   time between a shipment's steps (created → in-transit → delivered), default 300
 *   WASL_SIM_REQUIRE_AUTH    `on`: the payment and postal simulators refuse requests without credentials (401)
 *   WASL_SIM_RECORD_FILE     append every request received as a JSON line to this file
 * Given the hub's data dir (startHub gives it), the payment simulators keep what they settled in
 * <data dir>/simulators/<provider>-settlements.jsonl: a sandbox hub restarted on that data dir still
 * lists the payments it recorded before as settled (`wasl payments reconcile`).
 * The payment and postal simulators call the hub back (./callbacks.ts) and take their behaviour
 * from POST <base>/__sim/behaviour (sandbox/README.md).
 * Every other imported provider (contracts/providers/<code>) gets a simulator generated from its
 * contract (sandbox/generated) when its sandbox endpoint is on this machine (127.0.0.1, localhost):
 * on a free port too — the port in provider.json is the importer's pick, not a choice to keep.
 * A pinned port already taken is reported and skipped (another simulator may already serve it).
 */
import { CIVIL_REGISTRY_DEFAULT_PORT, startCivilRegistry } from './moi-civil-registry';
import { startVehicleRegistry, VEHICLE_REGISTRY_DEFAULT_PORT } from './mot-vehicle-registry';
import type { CallbackSimulatorOptions } from './callbacks';
import { INTL_PAY_DEFAULT_PORT, startIntlPay } from './intl-pay';
import type { RunningSimulator, SimulatorOptions } from './recorder';
import { EPAY_DEFAULT_PORT, startEpay } from './sy-epay';
import { settlementsFile } from './settlement-ledger';
import { POST_DEFAULT_PORT, startPost } from './sy-post';
import { listProviders } from '../../connectors/import/write';
import { DEFAULT_PROVIDERS_ROOT, loadProvider } from '../../connectors/provider-files';
import { overrideSandbox } from '../../connectors/sandbox-overrides';
import { startContractSimulator } from '../generated';

export type { RunningSimulator, SimRequest, SimulatorOptions } from './recorder';
export { startCivilRegistry, PERSON_NOT_FOUND, RECORD_SEALED } from './moi-civil-registry';
export { startVehicleRegistry, VEHICLE_NOT_FOUND, VEHICLE_WITH_LIEN } from './mot-vehicle-registry';
export { startEpay, EPAY_BASE, EPAY_DEFAULT_PORT, EPAY_PAY_DELAY_MS, type EpayBehaviour, type EpayOptions, type EpaySimulator } from './sy-epay';
export { startIntlPay, INTL_PAY_BASE, INTL_PAY_DEFAULT_PORT, INTL_PAY_DELAY_MS, INTL_PAY_REFUND_WINDOW_DAYS, type IntlPayBehaviour, type IntlPayOptions, type IntlPaySimulator } from './intl-pay';
export { startPost, POST_BASE, POST_DEFAULT_PORT, POST_DELAY_MS, POST_COVERAGE, isS10, s10CheckDigit, postalFee, type PostBehaviour, type PostOptions, type PostSimulator } from './sy-post';
export { PAYMENT_MODES, POSTAL_MODES, DEFAULT_LATE_MS, providerCallbackConfig, type CallbackAttempt, type CallbackSimulator, type PaymentMode, type PostalMode } from './callbacks';

export interface Simulators {
  running: RunningSimulator[];
  /** Provider code → the URL its sandbox endpoint points at in this process (its simulator's). */
  endpoints: Record<string, string>;
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

/** The port to start `code`'s simulator on: the variable's when set, the endpoint's with WASL_SIM_PORTS=fixed, else 0 (a free one). */
function portOf(env: NodeJS.ProcessEnv, name: string, fixed: number): number {
  if (env[name] !== undefined && env[name] !== '') return int(env, name, 0);
  if (env.WASL_SIM_PORTS === 'fixed') return fixed;
  return 0;
}

const portVariable = (code: string) => `WASL_SIM_${code.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_PORT`;

export async function startSimulators(env: NodeJS.ProcessEnv = process.env, log?: Log, dataDir?: string): Promise<Simulators> {
  const running: RunningSimulator[] = [];
  if (env.WASL_SIMULATORS === 'off') return { running, endpoints: {}, close: async () => undefined };
  if (env.WASL_SIM_PORTS !== undefined && !['', 'free', 'fixed'].includes(env.WASL_SIM_PORTS)) throw new Error('WASL_SIM_PORTS must be free or fixed');
  const common: Omit<SimulatorOptions, 'port'> = { delayMs: int(env, 'WASL_SIM_DELAY_MS', 0), ...(env.WASL_SIM_RECORD_FILE ? { recordFile: env.WASL_SIM_RECORD_FILE } : {}) };
  const calling: Omit<CallbackSimulatorOptions, 'port'> = { ...common, requireAuth: env.WASL_SIM_REQUIRE_AUTH === 'on' };
  const payDelayMs = int(env, 'WASL_SIM_PAY_DELAY_MS', 300);
  const postDelayMs = int(env, 'WASL_SIM_POST_DELAY_MS', 300);
  const settled = (code: string) => (dataDir ? { settlementsFile: settlementsFile(dataDir, code) } : {});
  const starts: Array<[string, () => Promise<RunningSimulator>]> = [
    ['moi-civil-registry', () => startCivilRegistry({ ...common, port: portOf(env, 'WASL_SIM_CIVIL_PORT', CIVIL_REGISTRY_DEFAULT_PORT) })],
    ['mot-vehicle-registry', () => startVehicleRegistry({ ...common, port: portOf(env, 'WASL_SIM_VEHICLE_PORT', VEHICLE_REGISTRY_DEFAULT_PORT) })],
    ['sy-epay', () => startEpay({ ...calling, payDelayMs, port: portOf(env, 'WASL_SIM_EPAY_PORT', EPAY_DEFAULT_PORT), ...settled('sy-epay') })],
    ['intl-pay', () => startIntlPay({ ...calling, payDelayMs, port: portOf(env, 'WASL_SIM_INTLPAY_PORT', INTL_PAY_DEFAULT_PORT), ...settled('intl-pay') })],
    ['sy-post', () => startPost({ ...calling, postDelayMs, port: portOf(env, 'WASL_SIM_POST_PORT', POST_DEFAULT_PORT) })],
  ];
  const curated = new Set(starts.map(([name]) => name));
  for (const code of listProviders(DEFAULT_PROVIDERS_ROOT)) {
    if (curated.has(code)) continue;
    const endpoint = loadProvider(code).definition.environments.sandbox?.endpoint;
    const url = endpoint ? new URL(endpoint) : undefined;
    if (!url || !['127.0.0.1', 'localhost'].includes(url.hostname)) continue;
    starts.push([code, () => startContractSimulator(code, { ...common, port: portOf(env, portVariable(code), Number(url.port || 80)), host: '127.0.0.1' })]);
  }
  const endpoints: Record<string, string> = {};
  for (const [name, start] of starts) {
    try {
      const sim = await start();
      running.push(sim);
      endpoints[name] = sim.url;
      log?.info({ simulator: name, url: sim.url }, 'sandbox simulator started');
    } catch (err) {
      if ((err as { code?: string }).code !== 'EADDRINUSE') {
        await Promise.all(running.map((s) => s.close()));
        throw err;
      }
      log?.warn({ simulator: name }, 'sandbox simulator not started: its port is taken');
    }
  }
  // This process's connectors call them where they are (the ports may be the OS's picks).
  const restore = overrideSandbox({ endpoints });
  return {
    running,
    endpoints,
    close: async () => {
      restore();
      await Promise.all(running.map((s) => s.close()));
    },
  };
}
