/**
 * `wasl service new <code> --provider <p> [--operation <op>]`: a new service, as a draft, ready to
 * be filled in — its definition (contracts/service.schema.json), its flow in stages from
 * staged-flow.json beside it (payment, the provider's operation, delivery, refund), the provider's
 * config node in flows/shared.json when it is not there yet, and a first happy-path scenario.
 * The mappings are proposed (proposals.ts): each member of the operation's input from what the order
 * holds where a name fits, else from a service field it adds to the definition; the answer's
 * reference into the results. Each proposal is marked for review in the expression, and a
 * service is not certified while a mark is left. One refusal scenario is written per business
 * refusal the provider's error rules declare, and one retry scenario per transient fault.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProvider, type LoadedProvider } from '../../connectors/provider-files';
import type { ServiceDefinition } from '../../contracts/types';
import { exampleOf } from '../generated/examples';
import { fieldsSchema, proposeInput, proposeOutput, type Proposal } from './proposals';
import { flowFileText } from '../../hub/runtime/flow-file';
import type { FlowNode } from '../../hub/runtime/node-types';

export class ScaffoldError extends Error {
  override name = 'ScaffoldError';
}

export interface ScaffoldOptions {
  code: string;
  provider: string;
  operation?: string;
  names?: { ar: string; en: string };
  flowsDir: string;
  providersRoot?: string;
}

export interface Scaffolded {
  dir: string;
  files: string[];
  operation: string;
  /** The mappings proposed, each marked for review in the flow. */
  proposals: Proposal[];
  /** The scenarios written, by file name. */
  scenarios: string[];
}

export function scaffoldService(o: ScaffoldOptions): Scaffolded {
  if (!/^[a-z][a-z0-9-]{2,63}$/.test(o.code)) throw new ScaffoldError('a service code is 3 to 64 lower-case letters, digits and dashes, starting with a letter');
  const dir = join(o.flowsDir, o.code);
  if (existsSync(dir)) throw new ScaffoldError(`${dir} exists already`);
  const provider = loadProvider(o.provider, o.providersRoot);
  const operations = Object.keys(provider.operations);
  const operation = o.operation ?? operations[0];
  if (!operation || !provider.operations[operation]) throw new ScaffoldError(`provider ${o.provider} has no operation ${o.operation ?? ''}: it has ${operations.join(', ') || 'none'}`);

  const op = provider.operations[operation]!;
  const input = proposeInput(op.inputSchema as Record<string, unknown>);
  const output = proposeOutput(op.outputSchema as Record<string, unknown>, { service: o.code, provider: o.provider, operation, inputMembers: input.proposals.map((p) => p.member.split('.').pop()!) });
  const definition: ServiceDefinition = {
    code: o.code,
    version: 1,
    names: o.names ?? { ar: o.code, en: o.code },
    provider: { code: o.provider, operation },
    channels: ['centre', 'portal', 'expat-portal'],
    governorates: ['*'],
    // A fixed date: the same contract scaffolds the same examples whatever the day.
    fields: fieldsSchema(input.fields, (schema) => exampleOf(schema, new Date('2025-01-15T09:30:00Z'))),
    fees: { currency: 'SYP', service: { default: 5000 }, delivery: { counter: 0, electronic: 0, 'domestic-post': 4000, 'international-post': 60000 } },
    delivery: ['counter', 'electronic', 'domestic-post', 'international-post'],
    sla: { hours: 48 },
    ...(output.result ? { result: { schema: output.result } } : {}),
    lifecycle: 'draft',
  } as ServiceDefinition;

  const sharedFile = join(o.flowsDir, 'shared.json');
  const shared = existsSync(sharedFile) ? (JSON.parse(readFileSync(sharedFile, 'utf8')) as Array<Record<string, unknown>>) : [];
  let providerNode = shared.find((n) => n.type === 'wasl-provider' && n.code === o.provider)?.id as string | undefined;
  const files: string[] = [];
  if (!providerNode) {
    providerNode = `provider-${o.provider}`;
    shared.push({ id: providerNode, type: 'wasl-provider', name: provider.definition.names.ar, code: o.provider, environment: '' });
    writeFileSync(sharedFile, flowFileText(shared as FlowNode[]));
    files.push(sharedFile);
  }

  const prefix = o.code.split('-').map((w) => w[0]).join('').slice(0, 6);
  const mapIn = input.expression;
  const mapOut = output.expression;
  const template = readFileSync(join(__dirname, 'staged-flow.json'), 'utf8');
  const filled = JSON.parse(template, (_key, value: unknown) =>
    typeof value === 'string'
      ? value
          .replaceAll('{{code}}', o.code)
          .replaceAll('{{p}}', prefix)
          .replaceAll('{{providerNode}}', providerNode!)
          .replaceAll('{{provider}}', o.provider)
          .replaceAll('{{operation}}', operation)
          .replaceAll('{{mapIn}}', mapIn)
          .replaceAll('{{mapOut}}', mapOut)
          .replaceAll('{{info}}', `${definition.names.en}: received → payment | paid → ${o.provider} ${operation} → delivery by method; refund if it ends without the document. Scaffolded: review the proposed mappings (marked wasl:proposed).`)
      : value,
  ) as unknown[];

  mkdirSync(join(dir, 'scenarios'), { recursive: true });
  const write = (file: string, data: unknown) => {
    writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
    files.push(file);
  };
  write(join(dir, 'service.json'), { $schema: '../../contracts/service.schema.json', ...definition });
  // In the form the editor's Deploy writes it (hub/runtime/flow-file.ts): the first Deploy rewrites nothing.
  writeFileSync(join(dir, 'flow.json'), flowFileText(filled as FlowNode[]));
  files.push(join(dir, 'flow.json'));
  write(join(dir, 'scenarios', 'happy-path.json'), {
    $schema: '../../../contracts/scenario.schema.json',
    name: 'happy path: paid online, answered by the provider, collected at the counter',
    order: { delivery: { method: 'counter' } },
    payment: { mode: 'approve' },
    expect: {
      status: 'ready-for-pickup',
      timeline: ['received', 'awaiting-payment', 'paid', 'submitted-to-provider', 'provider-completed', 'ready-for-pickup'],
      calls: { [o.provider]: { [operation]: 1 } },
      deadLettered: false,
    },
  });
  const scenarios = ['happy-path.json'];
  for (const [file, scenario] of faultScenarios(provider.definition, o.provider, operation)) {
    write(join(dir, 'scenarios', file), scenario);
    scenarios.push(file);
  }
  return { dir, files, operation, proposals: [...input.proposals, ...output.proposals], scenarios };
}

/**
 * A scenario per fault the provider's error rules declare: a refusal ends the order refunded
 * with the rule's reason; a transient fault, played once, is retried and the order completes.
 * The simulator plays each fault as the rule reads it (or as recorded), never in a shape of its own.
 */
function faultScenarios(def: LoadedProvider['definition'], provider: string, operation: string): Array<[string, Record<string, unknown>]> {
  const out: Array<[string, Record<string, unknown>]> = [];
  const seen = new Set<string>();
  const kind = def.kind === 'soap' ? 'soap-fault' : 'http-error';
  for (const rule of def.errors?.rules ?? []) {
    const code = rule.faultCode ?? rule.reason ?? rule.faultString;
    if (!code) continue;
    const transient = rule.kind === 'transient';
    if (rule.kind === 'permanent') continue;
    const name = `${transient ? 'temporary' : 'refused'}-${(rule.reason ?? code).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
    if (seen.has(name)) continue;
    seen.add(name);
    const fault = { kind, code, ...(kind === 'http-error' && rule.status ? { status: rule.status } : {}), ...(transient ? { times: 1 } : {}) };
    out.push([
      `${name}.json`,
      transient
        ? {
            $schema: '../../../contracts/scenario.schema.json',
            name: `${code} once (a temporary fault): retried, and the order completes`,
            payment: { mode: 'approve' },
            order: { delivery: { method: 'counter' } },
            providers: { [provider]: { [operation]: { fault } } },
            expect: { status: 'ready-for-pickup', calls: { [provider]: { [operation]: 2 } }, deadLettered: false },
          }
        : {
            $schema: '../../../contracts/scenario.schema.json',
            name: `${code}: refused (${rule.reason}), the fee refunded`,
            payment: { mode: 'approve' },
            providers: { [provider]: { [operation]: { fault } } },
            expect: { status: 'refunded', reason: rule.reason, deadLettered: false },
          },
    ]);
  }
  return out;
}

/**
 * The flow a pattern of services shares (flows/<pattern>/flow.json): the staged template, its
 * order-in nodes taking every service that names the pattern, its mappings and its call taken from
 * each service's definition (service.json `flow`, `provider.operation`).
 */
export function patternFlow(pattern: string, provider: string, providerNode: string, names: { en: string }): unknown[] {
  const prefix = `${pattern.split('-').map((w) => w[0]).join('').slice(0, 6)}x`;
  const template = readFileSync(join(__dirname, 'staged-flow.json'), 'utf8');
  const nodes = JSON.parse(template, (_key, value: unknown) =>
    typeof value === 'string'
      ? value
          .replaceAll('{{code}}', pattern)
          .replaceAll('{{p}}', prefix)
          .replaceAll('{{providerNode}}', providerNode)
          .replaceAll('{{provider}}', provider)
          .replaceAll('{{operation}}', 'the service\'s operation')
          .replaceAll('{{mapIn}}', '')
          .replaceAll('{{mapOut}}', '')
          .replaceAll('{{info}}', `${names.en}: the flow of every service whose definition names ${pattern} — received → payment | paid → ${provider}, each service's own operation and mappings from its definition → delivery by method; refund if it ends without the document.`)
      : value,
  ) as Array<Record<string, unknown>>;
  for (const n of nodes) {
    if (n.type === 'wasl-order-in') {
      n.service = '';
      n.pattern = pattern;
    } else if (n.type === 'wasl-map') {
      const input = n.schema === 'input';
      Object.assign(n, { source: 'definition', definitionKey: input ? 'input' : 'results', expression: '', name: input ? 'order → the operation (definition)' : 'answer → results (definition)' }, input ? { provider: '', operation: '' } : {});
    } else if (n.type === 'wasl-call') {
      Object.assign(n, { operationFrom: 'definition', operation: '', step: '' });
    }
  }
  return nodes;
}
