/**
 * Patterns that contracts bring (XSD facets, OpenAPI `pattern`s, the fields of service
 * definitions) are matched in time linear in the input, on RE2 (the pure-JS port re2js): V8's
 * backtracking engine takes seconds on `(a+)+b` and 30 characters, with the event loop stopped.
 *
 * A pattern is written in ECMAScript syntax with the `u` flag (JSON Schema's dialect) and keeps
 * that meaning: it is parsed here and rewritten into RE2 syntax, so every difference between the
 * two dialects is settled by construction rather than hoped away — `.` and `\s` as ECMAScript
 * defines them, `\p{…}` by V8's own Unicode tables where RE2 has no equivalent, escapes written
 * as code points so no character reads differently. What RE2 cannot match in linear time
 * (backreferences, lookaround, repetition counts over 1000) is refused with a PatternError that
 * names the pattern, when the schema is compiled: never accepted and quietly skipped.
 */
import { RE2JS } from 're2js';
import { codePointsOf, complement, MAX_CP, type Range } from './unicode-ranges';

export class PatternError extends Error {
  override name = 'PatternError';
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`pattern ${JSON.stringify(pattern)} is refused: ${reason}`);
  }
}

/** What Ajv and the codecs need of a compiled pattern. */
export interface LinearRegExp {
  readonly source: string;
  readonly flags: string;
  test(s: string): boolean;
}

/** ECMAScript's WhiteSpace and LineTerminator, which is what its `\s` means. */
const JS_SPACE: Range[] = [[0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff]];
const LINE_TERMINATORS: Range[] = [[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]];

/** General_Category values by their long names, which ECMAScript accepts too; RE2 knows only the short ones. */
const GC_LONG: Record<string, string> = {
  Letter: 'L', Cased_Letter: 'LC', Uppercase_Letter: 'Lu', Lowercase_Letter: 'Ll', Titlecase_Letter: 'Lt', Modifier_Letter: 'Lm', Other_Letter: 'Lo',
  Mark: 'M', Combining_Mark: 'M', Nonspacing_Mark: 'Mn', Spacing_Mark: 'Mc', Enclosing_Mark: 'Me',
  Number: 'N', Decimal_Number: 'Nd', digit: 'Nd', Letter_Number: 'Nl', Other_Number: 'No',
  Punctuation: 'P', punct: 'P', Connector_Punctuation: 'Pc', Dash_Punctuation: 'Pd', Open_Punctuation: 'Ps', Close_Punctuation: 'Pe', Initial_Punctuation: 'Pi', Final_Punctuation: 'Pf', Other_Punctuation: 'Po',
  Symbol: 'S', Math_Symbol: 'Sm', Currency_Symbol: 'Sc', Modifier_Symbol: 'Sk', Other_Symbol: 'So',
  Separator: 'Z', Space_Separator: 'Zs', Line_Separator: 'Zl', Paragraph_Separator: 'Zp',
  Other: 'C', Control: 'Cc', cntrl: 'Cc', Format: 'Cf', Surrogate: 'Cs', Private_Use: 'Co', Unassigned: 'Cn',
};
const GC_SHORT = new Set(Object.values(GC_LONG));

function hex(cp: number): string {
  return `\\x{${cp.toString(16)}}`;
}

/** A code point as RE2 reads it literally, inside a class or out. */
function lit(cp: number): string {
  return (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) ? String.fromCodePoint(cp) : hex(cp);
}

function rangesText(ranges: readonly Range[]): string {
  return ranges.map(([a, b]) => (a === b ? lit(a) : `${lit(a)}-${lit(b)}`)).join('');
}

/** A class body that matches nothing: RE2 has no `[]`. */
const NOTHING = `^${hex(0)}-${hex(MAX_CP)}`;

/** Sticky, so a long pattern is not copied at every quantifier. */
const REPEAT = /\{(\d+)(,(\d*))?\}/y;

const re2Knows = new Map<string, boolean>();
function re2HasProperty(name: string): boolean {
  let known = re2Knows.get(name);
  if (known === undefined) {
    try {
      RE2JS.compile(`\\p{${name}}`);
      known = true;
    } catch {
      known = false;
    }
    re2Knows.set(name, known);
  }
  return known;
}

// ---------- ECMAScript (u) → RE2 ----------

interface Translated {
  body: string;
  exact: boolean;
}

/** One item of a class: text for RE2's class body, or a single code point (which may start a range). */
type ClassAtom = { cp: number } | { body: string };

class Translator {
  private i = 0;

  constructor(private readonly src: string) {}

  /**
   * `exact` when the whole pattern is ^…$ (most contract patterns, every XSD one): its body is
   * then matched with RE2's whole-input test, about twice as fast as a search for ^…$.
   */
  run(): Translated {
    const terms: string[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') terms.push(this.term());
    let out = terms.join('');
    let alternatives = false;
    while (this.src[this.i] === '|') {
      this.i++;
      alternatives = true;
      out += `|${this.alternative()}`;
    }
    if (this.i !== this.src.length) throw this.refuse(`unexpected ${this.src[this.i]} at offset ${this.i}`);
    if (!alternatives && terms.length >= 2 && terms[0] === '^' && terms[terms.length - 1] === '$') return { body: terms.slice(1, -1).join(''), exact: true };
    return { body: out, exact: false };
  }

  private refuse(reason: string): PatternError {
    return new PatternError(this.src, reason);
  }

  private disjunction(): string {
    let out = this.alternative();
    while (this.src[this.i] === '|') {
      this.i++;
      out += `|${this.alternative()}`;
    }
    return out;
  }

  private alternative(): string {
    let out = '';
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') out += this.term();
    return out;
  }

  private term(): string {
    const s = this.src;
    const c = s[this.i];
    if (c === '^' || c === '$') {
      this.i++;
      return c;
    }
    let atom: string;
    if (c === '(') {
      if (s.startsWith('(?=', this.i) || s.startsWith('(?!', this.i)) throw this.refuse('a lookahead, (?= or (?!, cannot be matched in linear time');
      if (s.startsWith('(?<=', this.i) || s.startsWith('(?<!', this.i)) throw this.refuse('a lookbehind, (?<= or (?<!, cannot be matched in linear time');
      if (s.startsWith('(?:', this.i)) this.i += 3;
      else if (s.startsWith('(?<', this.i)) this.i = s.indexOf('>', this.i) + 1;
      else if (s.startsWith('(?', this.i)) throw this.refuse('group modifiers (?…) are not supported');
      else this.i++;
      // Only whether it matches counts: groups need not capture.
      atom = `(?:${this.disjunction()})`;
      if (s[this.i] !== ')') throw this.refuse('unbalanced parenthesis');
      this.i++;
    } else atom = this.atom();
    return atom + this.quantifier();
  }

  private quantifier(): string {
    const s = this.src;
    const c = s[this.i];
    let q: string;
    if (c === '*' || c === '+' || c === '?') {
      q = c;
      this.i++;
    } else if (c === '{') {
      REPEAT.lastIndex = this.i;
      const m = REPEAT.exec(s);
      if (!m) throw this.refuse(`malformed repetition at offset ${this.i}`);
      q = m[0];
      this.i += q.length;
    } else return '';
    if (s[this.i] === '?') {
      q += '?';
      this.i++;
    }
    return q;
  }

  private atom(): string {
    const s = this.src;
    const c = s[this.i]!;
    if (c === '.') {
      this.i++;
      return `[^${rangesText(LINE_TERMINATORS)}]`;
    }
    if (c === '[') return this.characterClass();
    if (c === '\\') {
      const e = s[this.i + 1];
      if (e === 'b' || e === 'B') {
        // Both engines' word characters are [0-9A-Za-z_] (without the i flag).
        this.i += 2;
        return `\\${e}`;
      }
      const a = this.escape(false);
      return 'cp' in a ? lit(a.cp) : `[${a.body || NOTHING}]`;
    }
    const cp = s.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    return lit(cp);
  }

  private characterClass(): string {
    const s = this.src;
    this.i++; // [
    const negated = s[this.i] === '^';
    if (negated) this.i++;
    let body = '';
    while (s[this.i] !== ']') {
      if (this.i >= s.length) throw this.refuse('unterminated character class');
      const a = this.classAtom();
      if ('cp' in a && s[this.i] === '-' && s[this.i + 1] !== ']' && this.i + 1 < s.length) {
        this.i++;
        const b = this.classAtom();
        if (!('cp' in b) || b.cp < a.cp) throw this.refuse('malformed character class range');
        body += `${lit(a.cp)}-${lit(b.cp)}`;
      } else body += 'cp' in a ? lit(a.cp) : a.body;
    }
    this.i++; // ]
    if (body === '') return negated ? `[${hex(0)}-${hex(MAX_CP)}]` : `[${NOTHING}]`;
    return `[${negated ? '^' : ''}${body}]`;
  }

  private classAtom(): ClassAtom {
    const s = this.src;
    if (s[this.i] === '\\') {
      if (s[this.i + 1] === 'b') {
        this.i += 2;
        return { cp: 0x08 };
      }
      if (s[this.i + 1] === '-') {
        this.i += 2;
        return { cp: 0x2d };
      }
      return this.escape(true);
    }
    const cp = s.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    return { cp };
  }

  /** At a backslash: a character escape (a code point) or a class escape (a class body). */
  private escape(inClass: boolean): ClassAtom {
    const s = this.src;
    const e = s[this.i + 1];
    if (e === undefined) throw this.refuse('it ends with a backslash');
    this.i += 2;
    switch (e) {
      case 'd':
        return { body: '0-9' };
      case 'D':
        return { body: '\\D' };
      case 'w':
        return { body: '0-9A-Za-z_' };
      case 'W':
        return { body: '\\W' };
      case 's':
        return { body: rangesText(JS_SPACE) };
      case 'S':
        return { body: rangesText(complement(JS_SPACE)) };
      case 'p':
      case 'P':
        return { body: this.property(e === 'P') };
      case 'f':
        return { cp: 0x0c };
      case 'n':
        return { cp: 0x0a };
      case 'r':
        return { cp: 0x0d };
      case 't':
        return { cp: 0x09 };
      case 'v':
        return { cp: 0x0b };
      case 'c': {
        const letter = s.charCodeAt(this.i);
        this.i++;
        return { cp: letter % 32 };
      }
      case '0':
        return { cp: 0 };
      case 'x': {
        const h = s.slice(this.i, this.i + 2);
        this.i += 2;
        return { cp: parseInt(h, 16) };
      }
      case 'u':
        return { cp: this.unicodeEscape() };
      case 'k':
        throw this.refuse('a backreference, \\k<…>, cannot be matched in linear time');
      default:
        if (e >= '1' && e <= '9') throw this.refuse(`a backreference, \\${e}, cannot be matched in linear time`);
        if (!inClass && e === '-') throw this.refuse('\\- outside a character class');
        return { cp: e.codePointAt(0)! };
    }
  }

  /** After `\u`: \u{…}, or \uXXXX, which joins a following low surrogate escape into one code point as `u` does. */
  private unicodeEscape(): number {
    const s = this.src;
    if (s[this.i] === '{') {
      const close = s.indexOf('}', this.i);
      const cp = parseInt(s.slice(this.i + 1, close), 16);
      this.i = close + 1;
      return cp;
    }
    const cp = parseInt(s.slice(this.i, this.i + 4), 16);
    this.i += 4;
    if (cp >= 0xd800 && cp <= 0xdbff && s.startsWith('\\u', this.i) && /^[0-9a-fA-F]{4}$/.test(s.slice(this.i + 2, this.i + 6))) {
      const low = parseInt(s.slice(this.i + 2, this.i + 6), 16);
      if (low >= 0xdc00 && low <= 0xdfff) {
        this.i += 6;
        return 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
      }
    }
    return cp;
  }

  /** After `\p` or `\P`: a class body meaning what ECMAScript means by it. */
  private property(negated: boolean): string {
    const s = this.src;
    const close = s.indexOf('}', this.i);
    const spec = s.slice(this.i + 1, close);
    this.i = close + 1;
    const [key, value] = spec.includes('=') ? (spec.split('=') as [string, string]) : [undefined, spec];
    let name: string | undefined;
    if (key === undefined || key === 'gc' || key === 'General_Category') {
      const short = GC_LONG[value] ?? (GC_SHORT.has(value) ? value : undefined);
      if (short && re2HasProperty(short)) name = short;
      // An empty body adds nothing to a class; alone it becomes a class of nothing (atom()).
      else if (key === undefined && value === 'Any') return negated ? '' : `${hex(0)}-${hex(MAX_CP)}`;
    } else if ((key === 'sc' || key === 'Script') && !GC_SHORT.has(value) && !(value in GC_LONG) && re2HasProperty(value)) name = value;
    if (name) return `\\${negated ? 'P' : 'p'}{${name}}`;
    // Script_Extensions, binary properties, script aliases RE2 does not know: V8's table, as ranges.
    const ranges = codePointsOf(`\\p{${spec}}`);
    return rangesText(negated ? complement(ranges) : ranges);
  }
}

/** The pattern in RE2 syntax, with the meaning ECMAScript gives it under the `u` flag; throws PatternError. */
export function toRe2(source: string): string {
  const t = translate(source);
  return t.exact ? `^${t.body}$` : t.body;
}

function translate(source: string): Translated {
  try {
    // Syntax first, by the engine whose dialect it is: the translator then walks a well-formed pattern.
    new RegExp(source, 'u');
  } catch (err) {
    throw new PatternError(source, `it is not a valid ECMAScript pattern (${(err as Error).message})`);
  }
  try {
    return new Translator(source).run();
  } catch (err) {
    if (err instanceof RangeError) throw new PatternError(source, 'its groups are nested too deeply');
    throw err;
  }
}

class Re2Pattern implements LinearRegExp {
  readonly flags = 'u';
  constructor(
    readonly source: string,
    private readonly re: RE2JS,
    private readonly exact: boolean,
  ) {}

  test(s: string): boolean {
    return this.exact ? this.re.testExact(s) : this.re.test(s);
  }

  /** Ajv keys its cache of compiled patterns by toString(). */
  toString(): string {
    return `re2:/${this.source}/u`;
  }
}

/** Compiled patterns by source: the same contract pattern is compiled by many Ajv instances and codecs. */
const compiled = new Map<string, LinearRegExp>();
const MAX_COMPILED = 10_000;

/** Compiles a pattern for linear-time matching; throws PatternError when it cannot be. */
export function linearRegExp(source: string, flags = 'u'): LinearRegExp {
  if (flags !== 'u') throw new PatternError(source, `only the u flag is supported, not "${flags}"`);
  const hit = compiled.get(source);
  if (hit) return hit;
  const t = translate(source);
  let re: RE2JS;
  try {
    re = RE2JS.compile(t.body);
  } catch (err) {
    const why = (err as Error).message.replace(/^error parsing regexp: /, '');
    throw new PatternError(source, /repeat count/.test(why) ? `the linear-time engine takes repetition counts up to 1000 (${why})` : `the linear-time engine cannot compile it (${why})`);
  }
  // A bound, not an LRU: contracts hold hundreds of patterns, not thousands.
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  const p = new Re2Pattern(source, re, t.exact);
  compiled.set(source, p);
  return p;
}
