/**
 * Masking citizens' data in a recorded exchange (`wasl provider record`), before anything is
 * written or printed. What counts as citizens' data: every leaf string or number of the
 * operation's input and of its decoded output, except values the schema enumerates (`enum`,
 * `const`), booleans, and the fields kept in clear on request (`--keep`: a country code, a
 * currency). Each such value is replaced by a substitute of the same shape — digits by random
 * digits (the first of a run stays a zero, or non-zero), Arabic letters by Arabic letters, Latin by Latin
 * keeping the case, every other character (spaces, dashes, dots, diacritics) as it was; a date
 * (YYYY-MM-DD, or the date part of a date-time) by another valid date — and the same original by
 * the same substitute everywhere in the recording: the input, the output, the fault text and
 * the raw bodies, where each original is replaced in XML text and attribute values and in JSON
 * strings and numbers (never in element or member names). Fault codes, error codes and the words
 * of a fault text that do not come from the input or output stay as they were.
 *
 * Limits (sandbox/README.md, "Recordings"): a value the provider writes differently from its
 * decoded form (1500 as 1500.00, a name split over two elements), or data the provider adds that
 * is in neither the input nor the output schema (a fault detail naming someone else), is not
 * recognised; originals shorter than 3 characters are replaced only where they are a whole text
 * or JSON value, never inside a longer text.
 */
import { randomInt } from 'node:crypto';

type Schema = Record<string, unknown>;

export interface Leaf {
  /** JSON pointer in the document. */
  pointer: string;
  /** Member name (the last step that is not an array index). */
  name: string;
  value: string | number;
  /** The schema enumerates the value (`enum`, `const`): not personal. */
  enumerated: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function resolveRef(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let cur: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) cur = isObject(cur) ? cur[decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return isObject(cur) ? cur : undefined;
}

/** The schemas that apply to a value at this place: the schema itself, its $ref and its allOf/anyOf/oneOf branches (to a few levels). */
function applicable(root: Schema, schema: Schema | undefined, depth = 0): Schema[] {
  if (!schema || depth > 16) return [];
  const out = [schema];
  if (typeof schema.$ref === 'string') out.push(...applicable(root, resolveRef(root, schema.$ref), depth + 1));
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = schema[k];
    if (Array.isArray(list)) for (const s of list) if (isObject(s)) out.push(...applicable(root, s, depth + 1));
  }
  return out;
}

function childSchemas(root: Schema, schemas: Schema[], key: string | number): Schema[] {
  const out: Schema[] = [];
  for (const s of schemas) {
    if (typeof key === 'number') {
      if (isObject(s.items)) out.push(s.items);
      if (Array.isArray(s.prefixItems) && isObject(s.prefixItems[key])) out.push(s.prefixItems[key] as Schema);
    } else {
      const props = s.properties;
      if (isObject(props) && isObject(props[key])) out.push(props[key] as Schema);
      else if (isObject(s.additionalProperties)) out.push(s.additionalProperties);
    }
  }
  return out.flatMap((c) => applicable(root, c));
}

/** The leaf strings and numbers of `value`, read along `schema` (booleans and nulls are no data to mask). */
export function leavesOf(value: unknown, schema: Schema | undefined): Leaf[] {
  const root = schema ?? {};
  const out: Leaf[] = [];
  const walk = (v: unknown, schemas: Schema[], pointer: string, name: string, depth: number): void => {
    if (depth > 64) return;
    if (typeof v === 'string' || typeof v === 'number') {
      const enumerated = schemas.some((s) => Array.isArray(s.enum) || 'const' in s);
      out.push({ pointer, name, value: v, enumerated });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, childSchemas(root, schemas, i), `${pointer}/${i}`, name, depth + 1));
    else if (isObject(v)) for (const [k, x] of Object.entries(v)) walk(x, childSchemas(root, schemas, k), `${pointer}/${escapePointer(k)}`, k.replace(/^@/, ''), depth + 1);
  };
  walk(value, applicable(root, schema), '', '', 0);
  return out;
}

/** Whether a leaf is named by a --keep / --match entry: its member name, a JSON pointer, or a dotted path. */
export function leafNamed(leaf: Pick<Leaf, 'pointer' | 'name'>, names: readonly string[]): boolean {
  return names.some((n) => (n.startsWith('/') ? leaf.pointer === n : n.includes('.') ? leaf.pointer === `/${n.split('.').map(escapePointer).join('/')}` : leaf.name === n));
}

const ARABIC_LETTERS = 'ابتثجحخدذرزسشصضطظعغفقكلمنهوي';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const pick = (s: string) => s[randomInt(s.length)]!;
const DATE = /^(\d{4})-(\d{2})-(\d{2})/;

function randomDate(): string {
  const t = Date.UTC(1950, 0, 1) + randomInt(0, 70 * 365) * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** A random value of the same shape as `original`. */
export function shapeLike(original: string): string {
  const date = DATE.exec(original);
  // The time of day, a zone or an offset after it says nothing of the person: kept.
  if (date) return randomDate() + original.slice(10);
  let out = '';
  let prev = '';
  for (const ch of original) {
    // The first digit of a run stays a zero, or non-zero: 0944… stays a 09… number, 1500 a four-digit one.
    const first = !/[0-9]/.test(prev);
    prev = ch;
    if (/[0-9]/.test(ch)) out += first ? (ch === '0' ? '0' : String(randomInt(1, 10))) : String(randomInt(10));
    else if (/[\u0660-\u0669]/.test(ch)) out += String.fromCharCode(0x0660 + randomInt(10));
    else if (/[\u0621-\u063A\u0641-\u064A]/.test(ch)) out += pick(ARABIC_LETTERS);
    else if (/[a-z]/.test(ch)) out += pick(LOWER);
    else if (/[A-Z]/.test(ch)) out += pick(UPPER);
    else if (/\p{L}/u.test(ch)) out += pick(LOWER);
    else out += ch;
  }
  return out;
}

const MIN_INSIDE = 3;

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const xmlUnescape = (s: string) =>
  s.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) =>
    e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : e === 'amp' ? '&' : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
  );

/** The substitutes of one recording: the same original always gets the same substitute. */
export class Masker {
  private readonly subs = new Map<string, string>();
  private readonly used = new Set<string>();
  private ordered: string[] | undefined;

  /** Adds an original to mask (as text: 1500 and "1500" are the same value). */
  add(original: string | number): void {
    const key = String(original);
    if (!key.trim() || this.subs.has(key)) return;
    this.subs.set(key, this.fresh(key));
    this.ordered = undefined;
  }

  /** Draws another substitute for an original (when the first did not fit its schema). */
  redraw(original: string | number): void {
    const key = String(original);
    if (!this.subs.has(key)) return;
    this.subs.set(key, this.fresh(key));
  }

  get size(): number {
    return this.subs.size;
  }

  has(original: string): boolean {
    return this.subs.has(original);
  }

  private fresh(original: string): string {
    for (let i = 0; i < 50; i++) {
      const s = shapeLike(original);
      if (s !== original && !this.subs.has(s) && !this.used.has(s)) {
        this.used.add(s);
        return s;
      }
    }
    // A shape with no room (a single digit): still never the original.
    const s = `${original}${'x'.repeat(1)}`.replace(/./g, (c) => (/[0-9]/.test(c) ? String((Number(c) + 1) % 10) : c));
    this.used.add(s);
    return s;
  }

  private originals(): string[] {
    return (this.ordered ??= [...this.subs.keys()].sort((a, b) => b.length - a.length));
  }

  /** A whole value: its substitute, or the text with every original of 3 characters or more replaced inside it. */
  text(s: string): string {
    const whole = this.subs.get(s) ?? this.subs.get(s.trim());
    if (whole !== undefined) return this.subs.has(s) ? whole : s.replace(s.trim(), whole);
    let out = s;
    for (const o of this.originals()) if (o.length >= MIN_INSIDE && out.includes(o)) out = out.split(o).join(this.subs.get(o)!);
    return out;
  }

  /** A decoded document (input, output): strings and numbers replaced, numbers kept numbers. */
  value(v: unknown, keep: (pointer: string) => boolean = () => false, pointer = ''): unknown {
    if (keep(pointer)) return v;
    if (typeof v === 'string') return this.text(v);
    if (typeof v === 'number') {
      const s = this.subs.get(String(v));
      return s !== undefined && Number.isFinite(Number(s)) ? Number(s) : v;
    }
    if (Array.isArray(v)) return v.map((x, i) => this.value(x, keep, `${pointer}/${i}`));
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.value(x, keep, `${pointer}/${escapePointer(k)}`)]));
    return v;
  }

  /** A raw XML body: text and attribute values masked, markup as it was. */
  xml(raw: string): string {
    return raw
      .replace(/>([^<]+)</g, (m, t: string) => {
        const masked = this.text(xmlUnescape(t));
        return masked === xmlUnescape(t) ? m : `>${xmlEscape(masked).replace(/&quot;/g, '"')}<`;
      })
      .replace(/(\s[\w.:-]+\s*=\s*)(["'])([^"']*)\2/g, (m, pre: string, q: string, v: string) => {
        if (/^\s*xmlns/.test(pre)) return m;
        const masked = this.text(xmlUnescape(v));
        return masked === xmlUnescape(v) ? m : `${pre}${q}${xmlEscape(masked)}${q}`;
      })
      .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, (_m, t: string) => `<![CDATA[${this.text(t)}]]>`);
  }

  /** A raw JSON body: string values and numbers masked token by token (members' names and the layout kept). */
  json(raw: string): string {
    return raw.replace(/"(?:[^"\\]|\\.)*"(\s*:)?|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (tok: string, colon?: string) => {
      if (colon) return tok;
      if (tok.startsWith('"')) {
        let s: string;
        try {
          s = JSON.parse(tok) as string;
        } catch {
          return tok;
        }
        const masked = this.text(s);
        return masked === s ? tok : JSON.stringify(masked);
      }
      const sub = this.subs.get(tok);
      return sub !== undefined && /^-?\d+(\.\d+)?$/.test(sub) ? sub : tok;
    });
  }

  /** A raw body of this content type. */
  body(raw: string, contentType: string | undefined): string {
    if (/json/i.test(contentType ?? '') || /^\s*[[{]/.test(raw)) return this.json(raw);
    if (/xml/i.test(contentType ?? '') || /^\s*</.test(raw)) return this.xml(raw);
    return this.text(raw);
  }

  /** A path and query string: each segment and query value masked. */
  path(p: string): string {
    const [pathname, query] = [p.split('?')[0]!, p.includes('?') ? p.slice(p.indexOf('?') + 1) : undefined];
    const seg = (s: string) => {
      let d: string;
      try {
        d = decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s;
      }
      const m = this.text(d);
      return m === d ? s : encodeURIComponent(m);
    };
    const masked = pathname.split('/').map(seg).join('/');
    if (query === undefined) return masked;
    return `${masked}?${query
      .split('&')
      .map((kv) => {
        const i = kv.indexOf('=');
        return i < 0 ? kv : `${kv.slice(0, i)}=${seg(kv.slice(i + 1))}`;
      })
      .join('&')}`;
  }
}
