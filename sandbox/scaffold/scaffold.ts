/**
 * `wasl service new <code> --provider <p> [--operation <op>]`: a new service, as a draft, ready to
 * be filled in — its definition (contracts/service.schema.json), its flow in stages from
 * staged-flow.json beside it (payment, the provider's operation, delivery, refund), the provider's
 * config node in flows/shared.json when it is not there yet, and a first happy-path scenario.
 * The flow's input mapping is a skeleton built from the operation's input schema: each required
 * member is named, with a value to replace, so the first run shows what is left to map.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProvider } from '../../connectors/provider-files';
import type { ServiceDefinition } from '../../contracts/types';
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
}

type Schema = { type?: unknown; properties?: Record<string, Schema>; required?: string[] };

/** A JSONata object literal with every required member of `schema`, each leaf an error to replace by the mapping. */
export function skeletonExpression(schema: Schema, indent = '  '): string {
  const props = schema.properties ?? {};
  const required = schema.required ?? Object.keys(props);
  const lines = required.map((name) => {
    const s = props[name] ?? {};
    // An unfilled leaf raises an error naming itself: a scaffold left as it is cannot pass a scenario, let alone be certified.
    const value = s.type === 'object' || s.properties ? skeletonExpression(s, `${indent}  `) : `$error("TODO: map ${name} from the order")`;
    return `${indent}${JSON.stringify(name)}: ${value}`;
  });
  return lines.length ? `{\n${lines.join(',\n')}\n${indent.slice(2)}}` : '{}';
}

export function scaffoldService(o: ScaffoldOptions): Scaffolded {
  if (!/^[a-z][a-z0-9-]{2,63}$/.test(o.code)) throw new ScaffoldError('a service code is 3 to 64 lower-case letters, digits and dashes, starting with a letter');
  const dir = join(o.flowsDir, o.code);
  if (existsSync(dir)) throw new ScaffoldError(`${dir} exists already`);
  const provider = loadProvider(o.provider, o.providersRoot);
  const operations = Object.keys(provider.operations);
  const operation = o.operation ?? operations[0];
  if (!operation || !provider.operations[operation]) throw new ScaffoldError(`provider ${o.provider} has no operation ${o.operation ?? ''}: it has ${operations.join(', ') || 'none'}`);

  const definition: ServiceDefinition = {
    code: o.code,
    version: 1,
    names: o.names ?? { ar: o.code, en: o.code },
    provider: { code: o.provider, operation },
    channels: ['centre', 'portal', 'expat-portal'],
    governorates: ['*'],
    fields: { type: 'object', additionalProperties: false, properties: {}, examples: [{}] },
    fees: { currency: 'SYP', service: { default: 5000 }, delivery: { counter: 0, electronic: 0, 'domestic-post': 4000, 'international-post': 60000 } },
    delivery: ['counter', 'electronic', 'domestic-post', 'international-post'],
    sla: { hours: 48 },
    lifecycle: 'draft',
  };

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
  const mapIn = skeletonExpression(provider.operations[operation]!.inputSchema as Schema);
  const mapOut = `{\n  "documents": [],\n  "providerReferences": [{ "provider": "${o.provider}", "operation": "${operation}", "reference": $error("TODO: map the reference in the answer") }]\n}`;
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
          .replaceAll('{{info}}', `${definition.names.en}: received → payment | paid → ${o.provider} ${operation} → delivery by method; refund if it ends without the document. Scaffolded: fill in the mappings.`)
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
  return { dir, files, operation };
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
