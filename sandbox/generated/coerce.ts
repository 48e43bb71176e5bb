/**
 * Values read off the wire (XML text, query strings, headers) typed as the operation's JSON
 * Schema says, before the request is checked against it: "2" becomes 2 where an integer is
 * expected, a lone element becomes a one-item array where an array is. Anything that does not
 * convert is left as it is, so validation reports it.
 */
type Schema = Record<string, unknown>;

function deref(root: Schema, s: Schema | undefined, depth = 0): Schema {
  let cur = s ?? {};
  while (typeof cur.$ref === 'string' && cur.$ref.startsWith('#/') && depth++ < 16) {
    let t: unknown = root;
    for (const p of cur.$ref.slice(2).split('/')) t = (t as Schema)?.[p];
    cur = { ...((t as Schema) ?? {}), ...Object.fromEntries(Object.entries(cur).filter(([k]) => k !== '$ref')) };
  }
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
    const parts = cur[key] as Schema[] | undefined;
    if (!parts?.length) continue;
    const props: Schema = { ...((cur.properties as Schema) ?? {}) };
    let type = cur.type;
    let items = cur.items;
    for (const p of parts.map((x) => deref(root, x, depth + 1))) {
      Object.assign(props, (p.properties as Schema) ?? {});
      type ??= p.type;
      items ??= p.items;
    }
    cur = { ...cur, properties: props, ...(type ? { type } : {}), ...(items ? { items } : {}) };
  }
  return cur;
}

const typeOf = (s: Schema): string | undefined => (Array.isArray(s.type) ? (s.type as string[]).find((t) => t !== 'null') : (s.type as string | undefined)) ?? (s.properties ? 'object' : undefined);

export function coerce(value: unknown, schema: Schema, root: Schema = schema, depth = 0): unknown {
  if (depth > 32) return value;
  const s = deref(root, schema);
  const type = typeOf(s);
  if (type === 'array') {
    const list = Array.isArray(value) ? value : value === undefined || value === '' ? [] : [value];
    return list.map((v) => coerce(v, (s.items as Schema) ?? {}, root, depth + 1));
  }
  if (Array.isArray(value)) return value.map((v) => coerce(v, s, root, depth + 1));
  if (type === 'object' && typeof value === 'object' && value !== null) {
    const props = (s.properties as Schema | undefined) ?? {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = props[k] ? coerce(v, props[k] as Schema, root, depth + 1) : v;
    return out;
  }
  if (typeof value !== 'string') return value;
  if (type === 'integer' && /^[+-]?\d+$/.test(value.trim())) return Number(value);
  if (type === 'number' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false' || value === '1' || value === '0')) return value === 'true' || value === '1';
  if (type === 'object' && value === '') return {};
  return value;
}
