/**
 * `npm run catalogue [-- --check]`: writes the seed catalogue from sandbox/catalogue/services.ts —
 * each service's definition (its lifecycle kept: certification and promotion own it), each
 * provider's pattern flow and config node, and every service's standard scenarios: one per
 * delivery method it offers, a business refusal, a provider outage that recovers, a payment
 * declined. `--check` writes nothing and exits 1 naming every file that is not what it would write.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { DeliveryMethod, ServiceDefinition } from '../../contracts/types';
import { loadProvider } from '../../connectors/provider-files';
import { flowFileText } from '../../hub/runtime/flow-file';
import type { FlowNode } from '../../hub/runtime/node-types';
import { patternFlow } from '../scaffold/scaffold';
import { SEED_SERVICES, type SeedService } from './services';

const DELIVERY_FEES: Record<DeliveryMethod, number> = { counter: 0, electronic: 0, 'domestic-post': 4000, 'international-post': 60000 };
const STD = 'std-';

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
export const patternOf = (provider: string) => `pattern-${provider}`;

/**
 * The answer → the order's results. With a document (`document`: where the answer holds it), the
 * entry names the stored document when the connector handed one on (its handle's id and sha256,
 * which wasl-order-update checks against the store), else the provider's reference (a hub
 * without a document store leaves the content as text).
 */
export function resultsMapping(reference: string, document?: string): string {
  const entry = document
    ? `"reference": payload.${document}.id ? payload.${document}.id : payload.${reference}, "sha256": payload.${document}.sha256`
    : `"reference": payload.${reference}`;
  return `{ "documents": [{ "type": service.code, ${entry}, "issuedAt": payload.issuedAt, "issuer": service.provider.code }], "providerReferences": [{ "provider": service.provider.code, "operation": service.provider.operation, "reference": payload.${reference} }] }`;
}

export function definitionOf(s: SeedService, lifecycle: ServiceDefinition['lifecycle']): Record<string, unknown> {
  const required = Object.keys(s.fields).filter((k) => !(s.optional ?? []).includes(k));
  return {
    $schema: '../../contracts/service.schema.json',
    code: s.code,
    version: 1,
    names: s.names,
    description: s.description,
    provider: { code: s.provider, operation: s.operation },
    channels: s.channels,
    governorates: s.governorates ?? ['*'],
    beneficiary: s.code === 'school-record-statement' ? 'optional' : 'none',
    fields: { type: 'object', additionalProperties: false, ...(required.length ? { required } : {}), properties: s.fields, examples: [s.example] },
    fees: {
      currency: 'SYP',
      service: { default: s.fee, ...(s.expatFee !== undefined && s.channels.includes('expat-portal') ? { byChannel: { 'expat-portal': s.expatFee } } : {}) },
      delivery: Object.fromEntries(s.delivery.map((m) => [m, DELIVERY_FEES[m]])),
    },
    delivery: s.delivery,
    sla: { hours: s.slaHours },
    lifecycle,
    flow: { pattern: patternOf(s.provider), input: s.input, results: resultsMapping(s.reference, s.document) },
  };
}

const PAID = ['received', 'awaiting-payment', 'paid', 'submitted-to-provider', 'provider-completed'];

/** The standard scenarios of a service, by file name. */
export function scenariosOf(s: SeedService, kind: 'soap' | 'rest'): Record<string, Record<string, unknown>> {
  const call = { [s.provider]: { [s.operation]: 1 } };
  const out: Record<string, Record<string, unknown>> = {};
  const base = { $schema: '../../../contracts/scenario.schema.json' };
  for (const method of s.delivery) {
    const abroad = method === 'international-post';
    const channel = abroad && s.channels.includes('expat-portal') ? 'expat-portal' : s.channels.includes('centre') ? 'centre' : s.channels[0]!;
    const delivery =
      method === 'domestic-post'
        ? { method, governorate: 'damascus', city: 'دمشق', address: 'المزة، شارع الجلاء، بناء ١٢' }
        : method === 'international-post'
          ? { method, country: 'DE', city: 'Berlin', address: 'Karl-Marx-Straße 10' }
          : { method };
    const end = method === 'counter' ? ['ready-for-pickup'] : method === 'electronic' ? ['delivered'] : ['dispatched', 'delivered'];
    out[`${STD}${method}`] = {
      ...base,
      name: `paid online from the ${channel}, issued, ${method === 'counter' ? 'collected at the counter' : method === 'electronic' ? 'delivered electronically' : method === 'domestic-post' ? 'delivered by domestic post' : 'delivered by international mail'}`,
      channel,
      order: { centre: { code: 'DAM-01', governorate: 'damascus' }, delivery },
      payment: { mode: 'approve' },
      ...(method.endsWith('post') ? { delivery: { mode: 'deliver' } } : {}),
      expect: {
        status: end.at(-1),
        timeline: [...PAID, ...end],
        calls: { ...call, ...(method.endsWith('post') ? { 'sy-post': { CreateShipment: 1 } } : {}) },
        ...(method === 'counter' && s.received ? { received: { [s.provider]: { [s.operation]: s.received } } } : {}),
        ...(method === 'counter' ? { results: { providerReferences: [{ provider: s.provider, operation: s.operation }] } } : {}),
        // The ministry's document, received and kept: the order holds it, a PDF.
        ...(s.document ? { documents: [{ type: s.code, mediaType: 'application/pdf' }] } : {}),
        deadLettered: false,
      },
    };
  }
  const rest = kind === 'rest';
  out[`${STD}refusal`] = {
    ...base,
    name: `refused by the provider (${s.refusal.code}): rejected with ${s.refusal.reason}, the fee refunded`,
    order: { centre: { code: 'DAM-01', governorate: 'damascus' }, delivery: { method: 'counter' } },
    payment: { mode: 'approve' },
    providers: { [s.provider]: { [s.operation]: { fault: rest ? { kind: 'http-error', code: s.refusal.code, status: /NOT_FOUND$/.test(s.refusal.code) ? 404 : 422 } : { kind: 'soap-fault', code: s.refusal.code } } } },
    expect: { status: 'refunded', reason: s.refusal.reason, timeline: ['received', 'awaiting-payment', 'paid', 'submitted-to-provider', 'rejected', 'refunded'], calls: call, deadLettered: false },
  };
  out[`${STD}outage`] = {
    ...base,
    name: 'the provider is down for 1.5 s: the order waits, then completes; paid in cash at the counter',
    order: { centre: { code: 'DAM-01', governorate: 'damascus' }, paymentMethod: 'cash-at-counter', delivery: { method: 'counter' } },
    providers: { [s.provider]: { [s.operation]: { fault: { kind: 'outage', forMs: 1500 } } } },
    expect: { status: 'ready-for-pickup', timeline: ['received', 'submitted-to-provider', 'provider-completed', 'ready-for-pickup'], deadLettered: false },
  };
  out[`${STD}payment-declined`] = {
    ...base,
    name: 'the payment is declined: the order waits for a payment, the provider is not asked',
    order: { centre: { code: 'DAM-01', governorate: 'damascus' }, delivery: { method: 'counter' } },
    payment: { mode: 'decline' },
    expect: { status: 'awaiting-payment', timeline: ['received', 'awaiting-payment'], calls: { [s.provider]: { [s.operation]: 0 } }, deadLettered: false },
  };
  return out;
}

/** Every file the catalogue is made of, with its content; service.json's lifecycle is read from the file there. */
export function catalogueFiles(flowsDir: string, providersRoot?: string): Map<string, string> {
  const files = new Map<string, string>();
  const sharedFile = join(flowsDir, 'shared.json');
  const shared = existsSync(sharedFile) ? (JSON.parse(readFileSync(sharedFile, 'utf8')) as Array<Record<string, unknown>>) : [];
  const providers = [...new Set(SEED_SERVICES.filter((s) => !s.ownFlow).map((s) => s.provider))].sort();
  for (const code of [...new Set(SEED_SERVICES.map((s) => s.provider))].sort()) {
    if (!shared.some((n) => n.type === 'wasl-provider' && n.code === code)) {
      shared.push({ id: `provider-${code}`, type: 'wasl-provider', name: loadProvider(code, providersRoot).definition.names.ar, code, environment: '' });
    }
  }
  // Flow files in the form the editor's Deploy writes them (hub/runtime/flow-file.ts).
  files.set(sharedFile, flowFileText(shared as FlowNode[]));
  for (const code of providers) {
    const def = loadProvider(code, providersRoot).definition;
    const node = shared.find((n) => n.type === 'wasl-provider' && n.code === code)!.id as string;
    files.set(join(flowsDir, patternOf(code), 'flow.json'), flowFileText(patternFlow(patternOf(code), code, node, { en: def.names.en }) as FlowNode[]));
  }
  for (const s of SEED_SERVICES) {
    const dir = join(flowsDir, s.code);
    const defFile = join(dir, 'service.json');
    if (!s.ownFlow) {
      const lifecycle = existsSync(defFile) ? ((JSON.parse(readFileSync(defFile, 'utf8')) as ServiceDefinition).lifecycle ?? 'draft') : 'draft';
      files.set(defFile, json(definitionOf(s, lifecycle)));
    }
    const kind = loadProvider(s.provider, providersRoot).definition.kind === 'soap' ? 'soap' : 'rest';
    for (const [name, scenario] of Object.entries(scenariosOf(s, kind))) files.set(join(dir, 'scenarios', `${name}.json`), json(scenario));
  }
  return files;
}

/** Standard scenario files no longer in the catalogue (a delivery method dropped). */
function strayScenarios(flowsDir: string, files: Map<string, string>): string[] {
  const out: string[] = [];
  for (const s of SEED_SERVICES) {
    const dir = join(flowsDir, s.code, 'scenarios');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.startsWith(STD) && !files.has(join(dir, f))) out.push(join(dir, f));
  }
  return out;
}

export function buildCatalogue(flowsDir: string, check: boolean): string[] {
  const files = catalogueFiles(flowsDir);
  const differ: string[] = [];
  for (const [file, content] of files) {
    const now = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (now === content) continue;
    differ.push(file);
    if (!check) {
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, content);
    }
  }
  for (const f of strayScenarios(flowsDir, files)) {
    differ.push(f);
    if (!check) rmSync(f);
  }
  return differ;
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  const flowsDir = resolve(process.env.WASL_FLOWS_DIR || join(__dirname, '..', '..', 'flows'));
  const differ = buildCatalogue(flowsDir, check);
  const rel = (f: string) => relative(process.cwd(), f);
  if (check && differ.length) {
    process.stderr.write(`the catalogue's files are not what sandbox/catalogue/services.ts makes them (npm run catalogue):\n${differ.map((f) => `  ${rel(f)}`).join('\n')}\n`);
    process.exitCode = 1;
  } else process.stdout.write(check ? `the catalogue is up to date (${SEED_SERVICES.length} services)\n` : `${differ.length} files written for ${SEED_SERVICES.length} services\n`);
}
