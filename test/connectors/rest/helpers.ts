/** Shared by the REST connector tests: imported fixture operations and provider definitions. */
import { resolve } from 'node:path';
import type { ProviderDefinition } from '../../../contracts/types';
import type { CallRecord } from '../../../connectors/connector';
import { importOpenApi } from '../../../connectors/import/openapi';
import { observeCalls } from '../../../connectors/observe';
import type { RestConnectorOptions } from '../../../connectors/rest/connector';

export const FIXTURES = resolve(__dirname, '..', '..', 'fixtures', 'openapi');
export const ARABIC = 'ريم خالد الأحمد';
export const NN = '01020304050';

export type Operations = NonNullable<RestConnectorOptions['operations']>;

export async function importedOperations(file: 'civil' | 'vehicles'): Promise<Operations> {
  const source = file === 'civil' ? resolve(FIXTURES, 'civil-registry', 'openapi.yaml') : resolve(FIXTURES, 'vehicle-registry.json');
  const c = await importOpenApi(file === 'civil' ? 'moi-civil-registry' : 'mot-vehicles', source);
  return Object.fromEntries(c.operations.map((o) => [o.name, o]));
}

let counter = 0;

/** A provider on a host of its own, so breakers (per endpoint) of different tests never meet. */
export function provider(overrides: Partial<ProviderDefinition> = {}): ProviderDefinition {
  counter++;
  return {
    code: `test-rest-${counter}`,
    names: { ar: 'اختبار', en: 'Test' },
    kind: 'rest',
    contract: { type: 'openapi' },
    environments: { sandbox: { endpoint: `https://api${counter}.moi.test/v1` } },
    // Fast and deterministic enough for tests: tiny backoff, a breaker that needs many failures.
    resilience: { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, circuitBreaker: { failureThreshold: 50, halfOpenAfterMs: 1000 } },
    ...overrides,
  };
}

export function origin(def: ProviderDefinition): string {
  return new URL(def.environments.sandbox.endpoint).origin;
}

/** Collects call records while a test runs. */
export function recordCalls(): { records: CallRecord[]; stop: () => void } {
  const records: CallRecord[] = [];
  const stop = observeCalls((r) => records.push(r));
  return { records, stop };
}

/** Sets environment variables for a test and gives back a function that restores them. */
export function withEnv(vars: Record<string, string>): () => void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
