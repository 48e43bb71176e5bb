/**
 * A readable tree of a JSON Schema's shape, for `wasl provider describe`: property names, types,
 * required or optional ("?"), arrays ("[]"), enumerations, nullability, named types, and which
 * properties exclude each other (choices). Works on any provider's operation schemas (SOAP or REST).
 */
type Json = Record<string, unknown>;

const MAX_DEPTH = 12;

function isObj(v: unknown): v is Json {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

interface Ctx {
  defs: Json;
  expanding: string[];
}

function deref(node: Json, ctx: Ctx): { node: Json; name?: string } {
  const ref = node.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/$defs/')) {
    const name = decodeURIComponent(ref.slice('#/$defs/'.length)).replace(/~1/g, '/').replace(/~0/g, '~');
    const target = ctx.defs[name];
    if (isObj(target)) return { node: { ...target, ...Object.fromEntries(Object.entries(node).filter(([k]) => k !== '$ref')) }, name };
  }
  return { node };
}

/** One-line type label of a schema node and the object node to expand below it, if any. */
function label(input: Json, ctx: Ctx): { text: string; expand?: Json; name?: string } {
  const { node, name } = deref(input, ctx);
  const named = name ? ` (${name})` : '';
  if (Array.isArray(node.anyOf) || Array.isArray(node.oneOf)) {
    const options = ((node.anyOf ?? node.oneOf) as unknown[]).filter(isObj);
    const nonNull = options.filter((o) => o.type !== 'null');
    const nullable = nonNull.length < options.length;
    const parts = nonNull.map((o) => label(o, ctx));
    const expand = parts.find((p) => p.expand)?.expand;
    const text = [...new Set(parts.map((p) => p.text))].join(' | ');
    return { text: `${text}${nullable ? ' | null' : ''}${named}`, expand, name: name ?? parts.find((p) => p.name)?.name };
  }
  if (node.const !== undefined) return { text: `${JSON.stringify(node.const)}${named}` };
  if (Array.isArray(node.enum)) return { text: `${node.enum.map((v) => JSON.stringify(v)).join(' | ')}${named}` };
  const type = node.type;
  if (type === 'array') {
    const items = isObj(node.items) ? label(node.items, ctx) : { text: 'any' };
    const text = items.text.includes(' | ') ? `(${items.text})[]` : `${items.text}[]`;
    return { text: `${text}${named}`, expand: items.expand, name: name ?? items.name };
  }
  if (type === 'object' || isObj(node.properties)) {
    const props = isObj(node.properties) ? Object.keys(node.properties) : [];
    return { text: `${props.length ? 'object' : '{}'}${named}`, expand: props.length ? node : undefined, name };
  }
  const types = Array.isArray(type) ? type.join(' | ') : typeof type === 'string' ? type : 'any';
  let extra = '';
  if (node.contentMediaType === 'application/xml') extra = ' (raw XML)';
  else if (typeof node.format === 'string') extra = ` (${node.format})`;
  return { text: `${types}${extra}${named}` };
}

function choices(node: Json): string[] {
  const out: string[] = [];
  for (const c of Array.isArray(node.allOf) ? node.allOf.filter(isObj) : []) {
    const opts = Array.isArray(c.oneOf) ? c.oneOf.filter(isObj) : [];
    const names = opts
      .map((o) => (Array.isArray(o.required) ? o.required.join('+') : Array.isArray(o.anyOf) ? o.anyOf.filter(isObj).map((a) => (a.required as string[] | undefined)?.join('+')).join('/') : undefined))
      .filter((n): n is string => !!n);
    if (!names.length) continue;
    const none = opts.some((o) => isObj(o.not));
    out.push(`${none ? 'at most one of' : 'exactly one of'}: ${names.join(' | ')}`);
  }
  return out;
}

function objectLines(node: Json, ctx: Ctx, indent: string, depth: number): string[] {
  const lines: string[] = [];
  const props = isObj(node.properties) ? node.properties : {};
  const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
  for (const c of choices(node)) lines.push(`${indent}(${c})`);
  for (const [key, value] of Object.entries(props)) {
    if (!isObj(value)) continue;
    const l = label(value, ctx);
    const name = `${key}${required.has(key) ? '' : '?'}`;
    lines.push(`${indent}${name}: ${l.text}`);
    if (!l.expand) continue;
    if (depth >= MAX_DEPTH) {
      lines.push(`${indent}  …`);
      continue;
    }
    if (l.name && ctx.expanding.includes(l.name)) {
      lines.push(`${indent}  (recursive: ${l.name}, as above)`);
      continue;
    }
    if (l.name) ctx.expanding.push(l.name);
    lines.push(...objectLines(l.expand, ctx, `${indent}  `, depth + 1));
    if (l.name) ctx.expanding.pop();
  }
  if (!Object.keys(props).length) lines.push(`${indent}(no properties)`);
  return lines;
}

/** Lines describing a schema's shape, each starting with `indent`. */
export function describeSchema(schema: Json, indent = ''): string[] {
  const ctx: Ctx = { defs: isObj(schema.$defs) ? schema.$defs : {}, expanding: [] };
  const l = label(schema, ctx);
  if (!l.expand) return [`${indent}${l.text}`];
  if (l.name) ctx.expanding.push(l.name);
  return objectLines(l.expand, ctx, indent, 0);
}
