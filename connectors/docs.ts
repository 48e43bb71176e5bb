/**
 * Generates docs/provider-options.md from contracts/provider.schema.json, where every option of
 * a provider file is declared once with its description, default and example (Camel's
 * @UriParam, Benthos config specs): one section per definition, one table row per option.
 *
 *   npx tsx connectors/docs.ts           writes docs/provider-options.md
 *   npx tsx connectors/docs.ts --check   exits 1 when the file is stale
 *
 * test/connectors/docs.test.ts fails when the committed file differs from what this renders.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemas } from '../contracts/index';
import providerSchema from '../contracts/provider.schema.json';

export const PROVIDER_OPTIONS_DOC = join(__dirname, '..', 'docs', 'provider-options.md');

type Node = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  examples?: unknown[];
  properties?: Record<string, Node>;
  additionalProperties?: boolean | Node;
  required?: string[];
  items?: Node;
  allOf?: Node[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  title?: string;
};

export interface Row {
  path: string;
  type: string;
  default: string;
  description: string;
  example: string;
}

const LOCAL = '#/$defs/';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function code(v: unknown): string {
  return `\`${JSON.stringify(v)}\``;
}

function anchor(name: string): string {
  return name.toLowerCase();
}

/** The definition a $ref names (in this schema or another contract), for its description. */
function target(root: Node & { $defs: Record<string, Node> }, ref: string): Node | undefined {
  if (ref.startsWith(LOCAL)) return root.$defs[ref.slice(LOCAL.length)];
  const [id, fragment] = ref.split('#');
  const other = schemas.find((sc) => sc.$id === id) as { $defs?: Record<string, Node> } | undefined;
  return fragment?.startsWith('/$defs/') ? other?.$defs?.[fragment.slice('/$defs/'.length)] : undefined;
}

function typeOf(root: Node & { $defs: Record<string, Node> }, n: Node): string {
  if (n.$ref) {
    if (n.$ref.startsWith(LOCAL)) {
      const name = n.$ref.slice(LOCAL.length);
      return `[${name}](#${anchor(name)})`;
    }
    // A definition of another contract, e.g. order.schema.json#/$defs/Text.
    const name = n.$ref.split('/').pop()!;
    return name === 'Text' ? 'Text (`{ "ar": …, "en": … }`)' : name;
  }
  if (n.enum) return n.enum.map((v) => code(v)).join(' | ');
  if (n.type === 'array') return n.items ? `array of ${typeOf(root, n.items)}` : 'array';
  if (n.type === 'object' && n.additionalProperties && typeof n.additionalProperties === 'object' && !n.properties) {
    return `map of ${typeOf(root, n.additionalProperties)}`;
  }
  let t = Array.isArray(n.type) ? n.type.join(' | ') : (n.type ?? 'any');
  // allOf [$ref] plus properties of its own: "X, and" the rows that follow.
  const bases = (n.allOf ?? []).filter((p) => p.$ref).map((p) => typeOf(root, p));
  if (bases.length) t = `${bases.join(', ')} and ${t}`;
  const bounds: string[] = [];
  if (n.minimum !== undefined) bounds.push(`≥ ${n.minimum}`);
  if (n.exclusiveMinimum !== undefined) bounds.push(`> ${n.exclusiveMinimum}`);
  if (n.maximum !== undefined) bounds.push(`≤ ${n.maximum}`);
  if (n.format) bounds.push(n.format);
  if (bounds.length) t += ` (${bounds.join(', ')})`;
  return t;
}

export function rowsOf(root: Node & { $defs: Record<string, Node> }, n: Node, prefix: string, out: Row[]): void {
  const required = new Set(n.required ?? []);
  for (const [key, child] of Object.entries(n.properties ?? {})) {
    if (key === '$schema') continue;
    const path = prefix + key;
    const ref = child.$ref ? target(root, child.$ref) : undefined;
    // A $ref row says what the definition is; its own example only (a definition's example,
    // such as Secret's, would be misleading on every row that uses it).
    const description = child.description ?? ref?.description ?? '';
    const example = child.examples?.[0];
    out.push({
      path,
      type: typeOf(root, child),
      default: child.default === undefined ? '' : code(child.default),
      description: `${required.has(key) ? '**Required.** ' : ''}${description}`,
      example: example === undefined ? '' : code(example),
    });
    if (child.$ref) continue;
    if (child.properties) rowsOf(root, child, `${path}.`, out);
    if (child.type === 'array' && child.items?.properties) rowsOf(root, child.items, `${path}[].`, out);
    const extra = child.additionalProperties;
    if (extra && typeof extra === 'object' && extra.properties) rowsOf(root, extra, `${path}.<name>.`, out);
  }
}

function table(rows: Row[]): string[] {
  if (!rows.length) return [];
  return [
    '| option | type | default | description | example |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| \`${r.path}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} | ${cell(r.example)} |`),
    '',
  ];
}

function section(root: Node & { $defs: Record<string, Node> }, name: string, n: Node): string[] {
  const out = [`## ${name}`, ''];
  if (n.description) out.push(cell(n.description), '');
  for (const part of n.allOf ?? []) if (part.$ref) out.push(`Everything in ${typeOf(root, part)}, and:`, '');
  if (!n.properties && n.type && n.type !== 'object') {
    const facts = [`Type: ${typeOf(root, n)}`];
    if (n.pattern) facts.push(`pattern \`${n.pattern}\``);
    if (n.examples?.length) facts.push(`example ${code(n.examples[0])}`);
    out.push(`${facts.join('; ')}.`, '');
  }
  const rows: Row[] = [];
  rowsOf(root, n, '', rows);
  return [...out, ...table(rows)];
}

export function renderProviderOptions(schema: unknown = providerSchema): string {
  const root = schema as Node & { $defs: Record<string, Node> };
  const lines = [
    '<!-- Generated by connectors/docs.ts from contracts/provider.schema.json: do not edit by hand. -->',
    '<!-- Regenerate with: npx tsx connectors/docs.ts -->',
    '',
    '# Provider options',
    '',
    cell(root.description ?? ''),
    '',
    'Each option is declared once, in [`contracts/provider.schema.json`](../contracts/provider.schema.json); this page is generated from it. Defaults apply when an option is left out. Secrets are never written in a provider file: options ending in `Env` name the environment variable that holds the value (a value `file:/path` is read from that file).',
    '',
    `Contents: [ProviderDefinition](#providerdefinition), ${Object.keys(root.$defs)
      .map((k) => `[${k}](#${anchor(k)})`)
      .join(', ')}.`,
    '',
    ...section(root, 'ProviderDefinition', { ...root, description: 'The provider file itself: `contracts/providers/<code>/provider.json`.' }),
  ];
  for (const [name, def] of Object.entries(root.$defs)) lines.push(...section(root, name, def));
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

if (require.main === module) {
  const text = renderProviderOptions();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(PROVIDER_OPTIONS_DOC, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      console.error('docs/provider-options.md is stale: run npx tsx connectors/docs.ts');
      process.exit(1);
    }
  } else {
    writeFileSync(PROVIDER_OPTIONS_DOC, text);
    console.log(`wrote ${PROVIDER_OPTIONS_DOC}`);
  }
}
