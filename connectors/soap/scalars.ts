/**
 * XSD simple values <-> JSON, per the builtin mapping of model.ts (B1–B8), compiled once per
 * simple type into a pair of plain functions so the per-call path has no lookups:
 *   toLexical(json) -> the XML text (unescaped), or throws ValueError
 *   fromText(text)  -> the JSON value (whitespace handled per B8)
 * QName values need namespace context and are handled by the encoder/decoder themselves.
 */
import { linearRegExp, type LinearRegExp } from '../../contracts/linear-regexp';
import { BUILTINS, jsonKindOf, type BuiltinJsonKind, type SimpleTypeModel } from './model';
import { xsdPatternToEcma } from './wsdl/xsd-regex';

/** A JSON value the type cannot be written from; the caller adds the JSON pointer. */
export class ValueError extends Error {}

export interface ScalarCodec {
  kind: BuiltinJsonKind;
  /** The type is xsd:QName (or derives from it). */
  qname: boolean;
  toLexical(v: unknown): string;
  fromText(text: string): unknown;
  /** Whether the lexical form fits the type (for unions, B7). */
  accepts(text: string): boolean;
}

const INT_RE = /^[+-]?[0-9]+$/;
const DEC_RE = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$/;
const FLOAT_RE = /^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|-?INF|NaN)$/;
const WS_RE = /[\t\n\r ]+/;

function trimXml(s: string): string {
  // XML whitespace only (String.prototype.trim also strips NBSP and other Unicode spaces, which are data).
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function integerLexical(v: unknown, decimal: boolean): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!decimal && !Number.isSafeInteger(v)) throw new ValueError('must be a whole number (or a string, for large values)');
    const s = String(v);
    if (!Number.isFinite(v) || /e/i.test(s)) throw new ValueError('number out of range: give it as a decimal string');
    return s;
  }
  if (typeof v === 'bigint') return v.toString();
  throw new ValueError('must be a number or a numeric string');
}

function inBounds(text: string, min?: string, max?: string): boolean {
  if (min === undefined && max === undefined) return true;
  try {
    const n = BigInt(text.replace(/^\+/, ''));
    return (min === undefined || n >= BigInt(min)) && (max === undefined || n <= BigInt(max));
  } catch {
    return false;
  }
}

function compileBuiltin(base: string, t: SimpleTypeModel): ScalarCodec {
  const info = BUILTINS[base] ?? { json: 'string' as const };
  const kind = jsonKindOf(t);
  const preserve = !!info.preserveWhitespace;
  const enumSet = t.enumeration ? new Set(t.enumeration) : undefined;
  const qname = base === 'QName';
  switch (kind) {
    case 'boolean':
      return {
        kind,
        qname,
        toLexical: (v) => {
          if (v === true || v === 'true' || v === '1' || v === 1) return 'true';
          if (v === false || v === 'false' || v === '0' || v === 0) return 'false';
          throw new ValueError('must be true or false');
        },
        fromText: (s) => {
          const x = trimXml(s);
          return x === 'true' || x === '1' ? true : x === 'false' || x === '0' ? false : x;
        },
        accepts: (s) => /^(true|false|1|0)$/.test(trimXml(s)),
      };
    case 'integer':
      return {
        kind,
        qname,
        toLexical: (v) => integerLexical(v, false),
        fromText: (s) => {
          const x = trimXml(s);
          return INT_RE.test(x) ? Number(x) : x;
        },
        accepts: (s) => {
          const x = trimXml(s);
          return INT_RE.test(x) && inBounds(x, info.min, info.max);
        },
      };
    case 'decimal-string': {
      const isDecimal = base === 'decimal';
      const re = info.pattern ? new RegExp(info.pattern) : isDecimal ? DEC_RE : INT_RE;
      return {
        kind,
        qname,
        toLexical: (v) => integerLexical(v, isDecimal),
        fromText: trimXml,
        accepts: (s) => {
          const x = trimXml(s);
          return re.test(x) && (isDecimal || inBounds(x, info.min, info.max));
        },
      };
    }
    case 'number':
      return {
        kind,
        qname,
        toLexical: (v) => {
          if (typeof v === 'number') return v === Infinity ? 'INF' : v === -Infinity ? '-INF' : Number.isNaN(v) ? 'NaN' : String(v);
          if (typeof v === 'string' && FLOAT_RE.test(v)) return v;
          throw new ValueError('must be a number');
        },
        fromText: (s) => {
          const x = trimXml(s);
          if (x === 'INF' || x === '-INF' || x === 'NaN' || !FLOAT_RE.test(x)) return x;
          return Number(x);
        },
        accepts: (s) => FLOAT_RE.test(trimXml(s)),
      };
    default: {
      const pattern = info.pattern ? new RegExp(info.pattern) : undefined;
      const patterns = (t.pattern ?? []).map((p) => contractPattern(p)).filter((r): r is LinearRegExp => !!r);
      return {
        kind,
        qname,
        toLexical: (v) => {
          if (typeof v === 'string') {
            // A lone surrogate has no UTF-8 form: it would arrive as U+FFFD, not as sent.
            if (!(v as unknown as { isWellFormed(): boolean }).isWellFormed()) throw new ValueError('contains an unpaired surrogate');
            return v;
          }
          if (typeof v === 'number' || typeof v === 'boolean') return String(v);
          throw new ValueError('must be a string');
        },
        fromText: preserve ? (s) => s : trimXml,
        accepts: (s) => {
          const x = preserve ? s : trimXml(s);
          if (enumSet && !enumSet.has(x)) return false;
          if (pattern && !pattern.test(x)) return false;
          return patterns.every((r) => r.test(x));
        },
      };
    }
  }
}

/**
 * An XSD pattern as the provider's text is tested against it: in XSD's meaning, in linear time
 * (a response may be hostile). One that cannot be translated was reported at import
 * (json-schema.ts) and tells no union member apart.
 */
function contractPattern(xsdPattern: string): LinearRegExp | undefined {
  try {
    return linearRegExp(xsdPatternToEcma(xsdPattern));
  } catch {
    return undefined;
  }
}

export function compileScalar(t: SimpleTypeModel): ScalarCodec {
  if (t.list) {
    const item = compileScalar(t.list);
    return {
      kind: item.kind,
      qname: false,
      toLexical: (v) => {
        if (!Array.isArray(v)) throw new ValueError('must be an array');
        let s = '';
        for (let i = 0; i < v.length; i++) s += (i ? ' ' : '') + item.toLexical(v[i]);
        return s;
      },
      fromText: (s) => {
        const x = trimXml(s);
        return x === '' ? [] : x.split(WS_RE).map((p) => item.fromText(p));
      },
      accepts: (s) => trimXml(s).split(WS_RE).every((p) => item.accepts(p)),
    };
  }
  if (t.union?.length) {
    const members = t.union.map(compileScalar);
    return {
      kind: 'string',
      qname: false,
      toLexical: (v) => {
        if (typeof v === 'boolean') return v ? 'true' : 'false';
        if (typeof v === 'number') return v === Infinity ? 'INF' : v === -Infinity ? '-INF' : String(v);
        if (typeof v === 'string') return v;
        if (Array.isArray(v)) return v.map((x) => String(x)).join(' ');
        throw new ValueError('must be a scalar');
      },
      fromText: (s) => {
        for (const m of members) if (m.accepts(s)) return m.fromText(s);
        return s;
      },
      accepts: (s) => members.some((m) => m.accepts(s)),
    };
  }
  return compileBuiltin(t.base, t);
}

export { trimXml };
