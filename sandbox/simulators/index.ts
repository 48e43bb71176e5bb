/**
 * The sandbox's ministry simulators, started by `wasl start` in the sandbox (handed to the hub by
 * ../extension.ts; startHub in hub/hub.ts starts them) on fixed ports — the ones the providers'
 * sandbox endpoints name (contracts/providers/<code>/provider.json).
 *
 * Environment:
 *   WASL_SIMULATORS          `off` to start none (e.g. when a test runs its own)
 *   WASL_SIM_CIVIL_PORT      moi-civil-registry (SOAP), default 8091
 *   WASL_SIM_VEHICLE_PORT    mot-vehicle-registry (REST), default 8092
 *   WASL_SIM_EPAY_PORT       sy-epay, the national e-payment company (REST), default 8093
 *   WASL_SIM_INTLPAY_PORT    intl-pay, the international payment company (REST), default 8094
 *   WASL_SIM_POST_PORT       sy-post, the national post (REST), default 8095
 *   WASL_SIM_DELAY_MS        delay before every answer, default 0
 *   WASL_SIM_PAY_DELAY_MS    time from a new invoice / payment intent to its payment and callback, default 300
 *   WASL_SIM_POST_DELAY_MS   time between a shipment's steps (created → in-transit → delivered), default 300
 *   WASL_SIM_REQUIRE_AUTH    `on`: the payment and postal simulators refuse requests without credentials (401)
 *   WASL_SIM_RECORD_FILE     append every request received as a JSON line to this file
 * The payment and postal simulators call the hub back (./callbacks.ts) and take their behaviour
 * from POST <base>/__sim/behaviour (sandbox/README.md).
 * Every other imported provider (contracts/providers/<code>) gets a simulator generated from its
 * contract (sandbox/generated) on the port of its sandbox endpoint.
 * A port already taken is reported and skipped (another simulator may already serve it).
 */
import { CIVIL_REGISTRY_DEFAULT_PORT, startCivilRegistry } from './moi-civil-registry';
import { startVehicleRegistry, VEHICLE_REGISTRY_DEFAULT_PORT } from './mot-vehicle-registry';
import type { CallbackSimulatorOptions } from './callbacks';
import { INTL_PAY_DEFAULT_PORT, startIntlPay } from './intl-pay';
import type { RunningSimulator, SimulatorOptions } from './recorder';
import { EPAY_DEFAULT_PORT, startEpay } from './sy-epay';
import { POST_DEFAULT_PORT, startPost } from './sy-post';
import { listProviders } from '../../connectors/import/write';
import { DEFAULT_PROVIDERS_ROOT, loadProvider } from '../../connectors/provider-files';
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
  const calling: Omit<CallbackSimulatorOptions, 'port'> = { ...common, requireAuth: env.WASL_SIM_REQUIRE_AUTH === 'on' };
  const payDelayMs = int(env, 'WASL_SIM_PAY_DELAY_MS', 300);
  const postDelayMs = int(env, 'WASL_SIM_POST_DELAY_MS', 300);
  const starts: Array<[string, () => Promise<RunningSimulator>]> = [
    ['moi-civil-registry', () => startCivilRegistry({ ...common, port: int(env, 'WASL_SIM_CIVIL_PORT', CIVIL_REGISTRY_DEFAULT_PORT) })],
    ['mot-vehicle-registry', () => startVehicleRegistry({ ...common, port: int(env, 'WASL_SIM_VEHICLE_PORT', VEHICLE_REGISTRY_DEFAULT_PORT) })],
    ['sy-epay', () => startEpay({ ...calling, payDelayMs, port: int(env, 'WASL_SIM_EPAY_PORT', EPAY_DEFAULT_PORT) })],
    ['intl-pay', () => startIntlPay({ ...calling, payDelayMs, port: int(env, 'WASL_SIM_INTLPAY_PORT', INTL_PAY_DEFAULT_PORT) })],
    ['sy-post', () => startPost({ ...calling, postDelayMs, port: int(env, 'WASL_SIM_POST_PORT', POST_DEFAULT_PORT) })],
  ];
  const curated = new Set(starts.map(([name]) => name));
  for (const code of listProviders(DEFAULT_PROVIDERS_ROOT)) {
    if (curated.has(code)) continue;
    const endpoint = loadProvider(code).definition.environments.sandbox?.endpoint;
    const url = endpoint ? new URL(endpoint) : undefined;
    if (!url || !['127.0.0.1', 'localhost'].includes(url.hostname)) continue;
    starts.push([code, () => startContractSimulator(code, { ...common, port: Number(url.port || 80), host: '127.0.0.1' })]);
  }
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
