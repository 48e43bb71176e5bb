/**
 * Contract drift: what changed between the contract a provider was imported from and the one it
 * publishes now (`wasl provider check`, hub/cli/provider-check.ts; the hub's scheduled check,
 * hub/provider-drift.ts). Pure: two models, as the importers build them (connectors/import/wsdl.ts,
 * openapi.ts: per-operation JSON Schemas of input and output, the binding, the contract's
 * addresses), in; a list of changes, each classified, out. No I/O.
 *
 * Breaking — a call that worked may now fail, or an answer may no longer be understood:
 *  - an operation removed;
 *  - a member (element, attribute, property, parameter) removed from an operation's input or output;
 *  - a new required input member; an input member that became required;
 *  - an output member that is no longer required (answers may lack it);
 *  - a type changed: any change of type, except one that only widens what the provider accepts
 *    (input) or only narrows what it answers (output); the same for enumerations (a value the
 *    input no longer takes, a value the output may now carry) and for constraints (length, range,
 *    pattern, format tightened on the input, loosened on the output);
 *  - the binding changed: SOAPAction, style, SOAP version, message elements; HTTP method, path,
 *    media types, success statuses.
 * Compatible — everything else that changed: an operation added, an optional input member or any
 * output member added, an input member that became optional, a widened input or a narrowed output,
 * the contract's addresses (WSDL soap:address, OpenAPI servers: calls go to provider.json's
 * environments, so a changed address is to be looked at, not a broken call).
 *
 * Annotations (title, description, examples) and the names of shared types ($defs) are not
 * compared: a type renamed with the same content is no change.
 */

export type DriftSeverity = 'breaking' | 'compatible';

export type DriftKind = 'operation-added' | 'operation-removed' | 'member-added' | 'member-removed' | 'member-changed' | 'binding-changed' | 'endpoint-added' | 'endpoint-removed';

export interface DriftChange {
  kind: DriftKind;
  severity: DriftSeverity;
  operation?: string;
  /** Which side of the operation: what wasl sends (input) or what the provider answers (output). */
  direction?: 'input' | 'output';
  /** The member, as a dotted path from the operation's input or output (`body.amount`, `entry.governorate`, `items[]`). */
  path?: string;
  /** For member-changed and binding-changed: what about it (type, required, enum, maxLength, soapAction, method…). */
  aspect?: string;
  before?: unknown;
  after?: unknown;
  /** One line for people. */
  message: string;
}

export interface ContractOperation {
  name: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  binding: Record<string, unknown>;
}

/** What is compared: an ImportedContract (connectors/import/types.ts) fits. */
export interface ContractModel {
  kind: 'soap' | 'rest';
  operations: ContractOperation[];
  endpoints: string[];
}

export interface DriftSummary {
  breaking: number;
  compatible: number;
}

export function summarize(changes: readonly DriftChange[]): DriftSummary {
  let breaking = 0;
  for (const c of changes) if (c.severity === 'breaking') breaking++;
  return { breaking, compatible: changes.length - breaking };
}

/** The changes from `imported` (the provider's contract as kept) to `fetched` (as published now). */
export function diffContracts(imported: ContractModel, fetched: ContractModel): DriftChange[] {
  const out: DriftChange[] = [];
  const before = new Map(imported.operations.map((o) => [o.name, o]));
  const after = new Map(fetched.operations.map((o) => [o.name, o]));
  for (const name of [...before.keys()].sort()) {
    if (!after.has(name)) out.push({ kind: 'operation-removed', severity: 'breaking', operation: name, message: `operation ${name} removed` });
  }
  for (const name of [...after.keys()].sort()) {
    if (!before.has(name)) out.push({ kind: 'operation-added', severity: 'compatible', operation: name, message: `operation ${name} added` });
  }
  for (const name of [...before.keys()].sort()) {
    const a = before.get(name) as ContractOperation;
    const b = after.get(name);
    if (!b) continue;
    new SchemaDiff(name, 'input', a.inputSchema, b.inputSchema, out).compare(a.inputSchema, b.inputSchema, '');
    new SchemaDiff(name, 'output', a.outputSchema, b.outputSchema, out).compare(a.outputSchema, b.outputSchema, '');
    diffBinding(name, imported.kind, a.binding, b.binding, out);
  }
  const ea = new Set(imported.endpoints);
  const eb = new Set(fetched.endpoints);
  for (const e of [...ea].sort()) if (!eb.has(e)) out.push({ kind: 'endpoint-removed', severity: 'compatible', before: e, message: `address ${e} no longer in the contract` });
  for (const e of [...eb].sort()) if (!ea.has(e)) out.push({ kind: 'endpoint-added', severity: 'compatible', after: e, message: `address ${e} now in the contract (check the environments' endpoints in provider.json)` });
  return out;
}

type Schema = Record<string, unknown>;

function isObject(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => (isObject(val) ? Object.fromEntries(Object.entries(val).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : val)) ?? 'undefined';
}

const ANNOTATIONS = new Set(['title', 'description', 'examples', 'example', '$comment', 'default', 'deprecated', '$schema', '$id', '$defs', 'definitions']);

/** Constraints by whether a larger value tightens (min…) or loosens (max…) what is valid. */
const LOWER_BOUNDS = new Set(['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties']);
const UPPER_BOUNDS = new Set(['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties']);
/** Compared for equality only. */
const OTHER_CONSTRAINTS = ['pattern', 'format', 'multipleOf', 'contentEncoding'];

/** One operation's input or output, compared member by member; `$ref`s resolved in each side's own root. */
class SchemaDiff {
  private readonly seen = new Set<string>();

  constructor(
    private readonly operation: string,
    private readonly direction: 'input' | 'output',
    private readonly rootA: Schema,
    private readonly rootB: Schema,
    private readonly out: DriftChange[],
  ) {}

  private push(kind: DriftKind, severity: DriftSeverity, path: string, message: string, extra: Partial<DriftChange> = {}): void {
    this.out.push({ kind, severity, operation: this.operation, direction: this.direction, path: path || '(root)', ...extra, message: `${this.operation} ${this.direction}${path ? ` ${path}` : ''}: ${message}` });
  }

  /** Breaking when the change narrows the input or widens the output. */
  private variance(narrows: boolean): DriftSeverity {
    return (this.direction === 'input') === narrows ? 'breaking' : 'compatible';
  }

  compare(a0: unknown, b0: unknown, path: string): void {
    const ra = resolve(a0, this.rootA);
    const rb = resolve(b0, this.rootB);
    if (ra.refs || rb.refs) {
      const key = `${ra.refs}|${rb.refs}`;
      if (this.seen.has(key)) return; // a recursive type: compared once
      this.seen.add(key);
    }
    const a = ra.schema;
    const b = rb.schema;
    const same = canonical(strip(a));
    if (same === canonical(strip(b)) && !same.includes('"$ref"')) return;

    const ta = typesOf(a);
    const tb = typesOf(b);
    if (ta && tb && canonical(ta) !== canonical(tb)) {
      const removed = ta.filter((t) => !tb.includes(t) && !(t === 'integer' && tb.includes('number')));
      const added = tb.filter((t) => !ta.includes(t) && !(t === 'integer' && ta.includes('number')));
      // Only added kinds: wider; only removed: narrower; both: a change either way.
      const severity = added.length && removed.length ? 'breaking' : this.variance(removed.length > 0);
      this.push('member-changed', severity, path, `type ${ta.join('|')} → ${tb.join('|')}`, { aspect: 'type', before: ta.join('|'), after: tb.join('|') });
      // Members of a kind that both sides no longer share are not compared further.
      if (!(ta.includes('object') && tb.includes('object')) && !(ta.includes('array') && tb.includes('array'))) return;
    } else if (!ta !== !tb) {
      this.push('member-changed', 'breaking', path, `type ${ta?.join('|') ?? 'any/composite'} → ${tb?.join('|') ?? 'any/composite'}`, { aspect: 'type', before: ta?.join('|') ?? null, after: tb?.join('|') ?? null });
      return;
    }

    this.enums(a, b, path);
    this.constraints(a, b, path);
    this.composites(a, b, path);
    this.properties(a, b, path);
    if (a.items !== undefined || b.items !== undefined) {
      if (isObject(a.items) && isObject(b.items)) this.compare(a.items, b.items, `${path}[]`);
      else if (canonical(a.items) !== canonical(b.items)) this.push('member-changed', 'breaking', `${path}[]`, 'item type changed', { aspect: 'items' });
    }
  }

  private enums(a: Schema, b: Schema, path: string): void {
    const ea = enumOf(a);
    const eb = enumOf(b);
    if (!ea && !eb) return;
    if (!ea || !eb) {
      // A closed list opened (narrowing removed) or closed (values restricted).
      const severity = this.variance(!ea);
      this.push('member-changed', severity, path, ea ? 'no longer restricted to a list of values' : `now restricted to ${eb!.map((v) => JSON.stringify(v)).join(', ')}`, { aspect: 'enum', before: ea ?? null, after: eb ?? null });
      return;
    }
    const ka = new Set(ea.map((v) => canonical(v)));
    const kb = new Set(eb.map((v) => canonical(v)));
    const removed = ea.filter((v) => !kb.has(canonical(v)));
    const added = eb.filter((v) => !ka.has(canonical(v)));
    if (removed.length) this.push('member-changed', this.variance(true), path, `value(s) ${removed.map((v) => JSON.stringify(v)).join(', ')} removed`, { aspect: 'enum', before: removed, after: null });
    if (added.length) this.push('member-changed', this.variance(false), path, `value(s) ${added.map((v) => JSON.stringify(v)).join(', ')} added`, { aspect: 'enum', before: null, after: added });
  }

  private constraints(a: Schema, b: Schema, path: string): void {
    for (const k of [...LOWER_BOUNDS, ...UPPER_BOUNDS]) {
      const va = typeof a[k] === 'number' ? (a[k] as number) : undefined;
      const vb = typeof b[k] === 'number' ? (b[k] as number) : undefined;
      if (va === vb) continue;
      // A lower bound raised, or an upper bound lowered (or either one newly set), narrows.
      const narrows = LOWER_BOUNDS.has(k) ? vb !== undefined && (va === undefined || vb > va) : vb !== undefined && (va === undefined || vb < va);
      this.push('member-changed', this.variance(narrows), path, `${k} ${va ?? '(none)'} → ${vb ?? '(none)'}`, { aspect: k, before: va ?? null, after: vb ?? null });
    }
    for (const k of OTHER_CONSTRAINTS) {
      if (canonical(a[k]) === canonical(b[k])) continue;
      // Which way a pattern or format moved cannot be told: removed loosens, anything else may narrow.
      const narrows = b[k] !== undefined;
      this.push('member-changed', this.variance(narrows), path, `${k} ${JSON.stringify(a[k] ?? null)} → ${JSON.stringify(b[k] ?? null)}`, { aspect: k, before: a[k] ?? null, after: b[k] ?? null });
    }
  }

  /** oneOf / anyOf / allOf: compared branch by branch when both have as many, else as a whole. */
  private composites(a: Schema, b: Schema, path: string): void {
    for (const k of ['oneOf', 'anyOf', 'allOf']) {
      const xa = a[k];
      const xb = b[k];
      if (xa === undefined && xb === undefined) continue;
      if (Array.isArray(xa) && Array.isArray(xb) && xa.length === xb.length) {
        xa.forEach((s, i) => this.compare(s, xb[i], `${path}(${k}[${i}])`));
        continue;
      }
      this.push('member-changed', 'breaking', path, `${k} changed`, { aspect: k });
    }
  }

  private properties(a: Schema, b: Schema, path: string): void {
    const pa = isObject(a.properties) ? a.properties : {};
    const pb = isObject(b.properties) ? b.properties : {};
    const reqA = new Set(Array.isArray(a.required) ? (a.required as string[]) : []);
    const reqB = new Set(Array.isArray(b.required) ? (b.required as string[]) : []);
    const at = (name: string) => (path ? `${path}.${name}` : name);
    for (const name of Object.keys(pa)) {
      if (!(name in pb)) this.push('member-removed', 'breaking', at(name), `${reqA.has(name) ? 'required' : 'optional'} member removed`);
    }
    for (const name of Object.keys(pb)) {
      if (name in pa) continue;
      const required = reqB.has(name);
      const severity = this.direction === 'input' && required ? 'breaking' : 'compatible';
      this.push('member-added', severity, at(name), `${required ? 'required' : 'optional'} member added`, { after: required ? 'required' : 'optional' });
    }
    for (const name of Object.keys(pa)) {
      if (!(name in pb)) continue;
      const ra = reqA.has(name);
      const rb = reqB.has(name);
      if (ra !== rb) {
        // Input: becoming required narrows. Output: no longer required means answers may lack it.
        const severity = this.direction === 'input' ? (rb ? 'breaking' : 'compatible') : rb ? 'compatible' : 'breaking';
        this.push('member-changed', severity, at(name), rb ? 'became required' : 'became optional', { aspect: 'required', before: ra, after: rb });
      }
      this.compare(pa[name], pb[name], at(name));
    }
  }
}

/** Follows `$ref`s (local, `#/…`) in `root`; sibling keywords of a `$ref` are kept over the target. */
function resolve(node: unknown, root: Schema): { schema: Schema; refs: string } {
  let cur: Schema = isObject(node) ? node : node === false ? { not: {} } : {};
  const refs: string[] = [];
  for (let hops = 0; typeof cur.$ref === 'string' && hops < 32; hops++) {
    const ref = cur.$ref;
    refs.push(ref);
    const target = ref.startsWith('#') ? pointer(root, ref.slice(1)) : undefined;
    const { $ref: _r, ...siblings } = cur;
    cur = { ...(isObject(target) ? target : {}), ...siblings };
  }
  return { schema: cur, refs: refs.join('>') };
}

function pointer(root: unknown, p: string): unknown {
  if (p === '') return root;
  let cur: unknown = root;
  for (const raw of p.replace(/^\//, '').split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(cur) && !Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function strip(s: Schema): Schema {
  return Object.fromEntries(Object.entries(s).filter(([k]) => !ANNOTATIONS.has(k)));
}

/** The JSON types a schema allows, sorted; undefined when it says none (any, or a composite). */
function typesOf(s: Schema): string[] | undefined {
  if (typeof s.type === 'string') return [s.type];
  if (Array.isArray(s.type)) return [...(s.type as string[])].sort();
  if (s.const !== undefined || Array.isArray(s.enum)) {
    const values = s.const !== undefined ? [s.const] : (s.enum as unknown[]);
    return [...new Set(values.map((v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v)))].sort();
  }
  if (isObject(s.properties) || s.required !== undefined) return ['object'];
  if (s.items !== undefined) return ['array'];
  return undefined;
}

function enumOf(s: Schema): unknown[] | undefined {
  if (s.const !== undefined) return [s.const];
  return Array.isArray(s.enum) ? (s.enum as unknown[]) : undefined;
}

const SOAP_BINDING_KEYS = ['soapVersion', 'style', 'wrapped', 'soapAction', 'oneWay'];
const REST_BINDING_KEYS = ['method', 'path', 'requestMediaType', 'requestBodyRequired', 'responseMediaType', 'xmlRoot', 'xmlNamespace', 'responseXmlRoot', 'successStatuses'];

function diffBinding(operation: string, kind: 'soap' | 'rest', a: Schema, b: Schema, out: DriftChange[]): void {
  const changed = (aspect: string, before: unknown, after: unknown) =>
    out.push({ kind: 'binding-changed', severity: 'breaking', operation, aspect, before: before ?? null, after: after ?? null, message: `${operation} binding: ${aspect} ${JSON.stringify(before ?? null)} → ${JSON.stringify(after ?? null)}` });
  if (kind === 'rest') {
    for (const k of REST_BINDING_KEYS) if (canonical(a[k]) !== canonical(b[k])) changed(k, a[k], b[k]);
    return;
  }
  for (const k of SOAP_BINDING_KEYS) if (canonical(a[k]) !== canonical(b[k])) changed(k, a[k], b[k]);
  for (const side of ['input', 'output'] as const) {
    const ma = isObject(a[side]) ? a[side] : {};
    const mb = isObject(b[side]) ? b[side] : {};
    const elements = (m: Schema) => (Array.isArray(m.parts) ? (m.parts as Array<{ element?: string }>).map((p) => p.element) : []);
    if (canonical(elements(ma)) !== canonical(elements(mb))) changed(`${side} message elements`, elements(ma), elements(mb));
    if (canonical(ma.rpc) !== canonical(mb.rpc)) changed(`${side} rpc element`, ma.rpc, mb.rpc);
  }
  // SOAP headers wasl fills in (input) and reads (output): compared like the body.
  const headers = (x: Schema, side: 'input' | 'output') => {
    const h = isObject(x.headers) ? x.headers : {};
    const s = isObject(h[side]) ? (h[side] as Schema).schema : undefined;
    return isObject(s) ? s : { type: 'object', properties: {} };
  };
  for (const side of ['input', 'output'] as const) {
    const ha = headers(a, side);
    const hb = headers(b, side);
    const before = out.length;
    new SchemaDiff(operation, side, ha, hb, out).compare(ha, hb, '');
    for (const c of out.slice(before)) {
      c.path = `(SOAP header) ${c.path === '(root)' ? '' : c.path}`.trim();
      c.message = c.message.replace(`${operation} ${side}`, `${operation} ${side} SOAP header`);
    }
  }
}

/** The changes as `wasl provider check` prints them. */
export function formatDrift(code: string, changes: readonly DriftChange[]): string {
  if (changes.length === 0) return `provider ${code}: no drift: the published contract matches the imported one`;
  const s = summarize(changes);
  const lines = [`provider ${code}: ${changes.length} change(s), ${s.breaking} breaking, ${s.compatible} compatible`];
  for (const c of changes) lines.push(`  ${c.severity === 'breaking' ? '!' : '+'} [${c.severity}] ${c.message}`);
  return lines.join('\n');
}
