/**
 * Release-gate fixtures (hub/release-gate.ts): a copy of some of the catalogue's services under a
 * temporary root, each with a small flow of its own (order.received → awaiting-payment, through an
 * optional delay: a slow ministry), certified and signed with the tests' QA key and, by choice,
 * promoted — so a production hub runs them without any real ministry. The repository's flows/ are
 * never touched.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Order } from '../../contracts/types';
import { DEFAULT_PROVIDERS_ROOT } from '../../connectors/provider-files';
import type { HubConfig } from '../../hub/config';
import { promote, type CertificateTrust, type ServiceRoots } from '../../hub/lifecycle';
import { certificateReader, certify } from '../../sandbox/certificate';
import { auth, FLOWS_DIR, KEYS, newKey, setProviderCallbackSecrets, TEST_CERT_KEYS, testHub, validRequest, type TestHub } from '../helpers';
import { until } from '../hub/bus/contract';

/** Two services with a flow of their own, two carried by one pattern (the test's own). */
export const CIVIL = 'civil-registry-individual-extract';
export const VEHICLE = 'vehicle-ownership-statement';
export const STATUS = 'civil-status-statement';
export const BIRTH = 'birth-certificate-extract';
export const PATTERN = 'pattern-test-civil';

export const TRUST: CertificateTrust = { publicKeys: [TEST_CERT_KEYS.publicKey] };
const PASSED = { scenarios: 1, passed: 1, failed: 0, durationMs: 10 };

export type Node = Record<string, unknown> & { id: string; type: string };

/** A service's tab `tab`: its order.received events, after `delayMs`, move the order to awaiting-payment. */
export function serviceFlow(code: string, tab: string, opts: { delayMs?: number; pattern?: boolean; extra?: Node[] } = {}): Node[] {
  const next = opts.delayMs ? `${tab}-wait` : `${tab}-up`;
  return [
    { id: tab, type: 'tab', label: code },
    { id: `${tab}-in`, type: 'wasl-order-in', z: tab, service: opts.pattern ? '' : code, ...(opts.pattern ? { pattern: code } : {}), types: ['order.received'], timeout: 30, x: 100, y: 100, wires: [[next]] },
    ...(opts.delayMs
      ? [{ id: `${tab}-wait`, type: 'delay', z: tab, pauseType: 'delay', timeout: String(opts.delayMs), timeoutUnits: 'milliseconds', rate: '1', nbRateUnits: '1', rateUnits: 'second', randomFirst: '1', randomLast: '5', randomUnits: 'seconds', drop: false, allowrate: false, outputs: 1, x: 200, y: 100, wires: [[`${tab}-up`]] }]
      : []),
    { id: `${tab}-up`, type: 'wasl-order-update', z: tab, status: 'awaiting-payment', reason: 'fees-due', complete: true, x: 300, y: 100, wires: [[]] },
    ...(opts.extra ?? []),
  ];
}

export interface GateFlows {
  root: string;
  flowsDir: string;
  roots: ServiceRoots;
  /** Writes a folder's flow.json. */
  writeFlow(folder: string, nodes: Node[]): void;
  /** Certifies (signed with the tests' key) and, unless `live` is false, promotes. */
  release(code: string, live?: boolean): void;
}

/**
 * CIVIL and VEHICLE with their own flows (VEHICLE's slow by `vehicleDelayMs`, CIVIL's by
 * `civilDelayMs`), STATUS and BIRTH on PATTERN, shared.json with one provider's config node (used
 * by none of them); each released, live unless named in `notLive`.
 */
export function gateFlows(opts: { notLive?: string[]; civilDelayMs?: number; vehicleDelayMs?: number; beforeRelease?: (g: Pick<GateFlows, 'writeFlow'>) => void } = {}): GateFlows {
  const root = mkdtempSync(join(tmpdir(), 'wasl-gate-'));
  const flowsDir = join(root, 'flows');
  const roots: ServiceRoots = { flowsDir, providersRoot: DEFAULT_PROVIDERS_ROOT, base: root };
  const writeFlow = (folder: string, nodes: Node[]) => {
    mkdirSync(join(flowsDir, folder), { recursive: true });
    writeFileSync(join(flowsDir, folder, 'flow.json'), `${JSON.stringify(nodes, null, 2)}\n`);
  };
  for (const code of [CIVIL, VEHICLE, STATUS, BIRTH]) {
    mkdirSync(join(flowsDir, code), { recursive: true });
    const def = JSON.parse(readFileSync(join(FLOWS_DIR, code, 'service.json'), 'utf8')) as { lifecycle: string; flow?: { pattern: string } };
    if (def.flow) def.flow.pattern = PATTERN;
    def.lifecycle = 'draft';
    writeFileSync(join(flowsDir, code, 'service.json'), `${JSON.stringify(def, null, 2)}\n`);
  }
  writeFlow(CIVIL, serviceFlow(CIVIL, 'tab-civil', { delayMs: opts.civilDelayMs }));
  writeFlow(VEHICLE, serviceFlow(VEHICLE, 'tab-vehicle', { delayMs: opts.vehicleDelayMs }));
  writeFlow(PATTERN, serviceFlow(PATTERN, 'tab-pattern', { pattern: true }));
  const shared = (JSON.parse(readFileSync(join(FLOWS_DIR, 'shared.json'), 'utf8')) as Node[]).filter((n) => n.id === 'provider-moj-judicial-records');
  writeFileSync(join(flowsDir, 'shared.json'), `${JSON.stringify(shared, null, 2)}\n`);
  const release = (code: string, live = true) => {
    certify(code, PASSED, roots, 'qa-test', { signingKey: TEST_CERT_KEYS.signingKey });
    if (live) promote(code, roots, 'release-test', certificateReader, new Date(), TRUST);
  };
  opts.beforeRelease?.({ writeFlow });
  for (const code of [CIVIL, VEHICLE, STATUS, BIRTH]) release(code, !opts.notLive?.includes(code));
  return { root, flowsDir, roots, writeFlow, release };
}

/** A production hub (or sandbox, by `env`) with the flows runtime on `flowsDir`, its background started. */
export async function gateHub(flowsDir: string, overrides: Partial<HubConfig> = {}): Promise<TestHub> {
  const restore = setProviderCallbackSecrets();
  const env = overrides.env ?? 'production';
  const hub = await testHub({ flowsDir, env, ...(env === 'production' ? { secret: 'p'.repeat(40) } : {}), ...overrides }, undefined, { runtime: true }).finally(restore);
  try {
    await hub.startBackground();
  } catch (err) {
    await hub.close();
    throw err;
  }
  return hub;
}

/** The catalogue's example request for a service, from a centre, collected at the counter. */
export function requestFor(hub: TestHub, code: string) {
  const def = hub.catalogue.get(code)!.definition;
  return validRequest({ service: code, fields: def.fields.examples[0] as Record<string, unknown>, delivery: { method: 'counter' } });
}

export async function submit(hub: TestHub, code: string) {
  return hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: requestFor(hub, code) });
}

/** Submits an order of `code` and waits until its flow has moved it to awaiting-payment and the bus has it acknowledged. */
export async function orderCompletes(hub: TestHub, code: string): Promise<Order> {
  const res = await submit(hub, code);
  if (res.statusCode !== 202) throw new Error(`${code}: ${res.statusCode} ${res.body}`);
  const id = res.json<Order>().id;
  await until(async () => (await hub.store.getOrder(id))?.status === 'awaiting-payment', 15_000, `${code}'s order at awaiting-payment`);
  await until(async () => (await hub.bus.depth(code)).inFlight === 0, 5_000, `${code}'s event acknowledged`);
  return (await hub.store.getOrder(id))!;
}

/** The tab ids Node-RED runs now. */
export async function runningTabs(hub: TestHub): Promise<string[]> {
  return (await hub.runtime!.running()).filter((n) => n.type === 'tab').map((n) => n.id).sort();
}

/** Adds a copy of the repository's flows folder `folder` to the fixture (for a service new to a running hub). */
export function copyService(g: GateFlows, code: string, pattern = PATTERN): void {
  cpSync(join(FLOWS_DIR, code, 'service.json'), join(g.flowsDir, code, 'service.json'));
  const file = join(g.flowsDir, code, 'service.json');
  const def = JSON.parse(readFileSync(file, 'utf8')) as { lifecycle: string; flow?: { pattern: string } };
  if (def.flow) def.flow.pattern = pattern;
  def.lifecycle = 'draft';
  writeFileSync(file, `${JSON.stringify(def, null, 2)}\n`);
}
