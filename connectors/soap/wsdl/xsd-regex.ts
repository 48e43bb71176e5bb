/**
 * XML Schema regular expressions → ECMAScript (with the `u` flag, as Ajv compiles them).
 * XSD patterns are implicitly anchored and have no anchors of their own (^ and $ are ordinary
 * characters); they know \i \c (XML name characters), \p{IsBlock} (Unicode blocks) and
 * character class subtraction [a-z-[aeiou]], which ECMAScript has not; and their \d \w are
 * Unicode-wide (Arabic-Indic digits are digits).
 *
 * The result is matched in linear time (contracts/linear-regexp.ts), so it must be what RE2 can
 * run: no lookaround, which is why a subtraction becomes the explicit ranges it leaves.
 */
import { linearRegExp } from '../../../contracts/linear-regexp';
import { codePointsOf } from '../../../contracts/unicode-ranges';

const NAME_START = ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;

/** The Unicode blocks XSD names with \p{Is…} that contracts use; others are refused. */
const BLOCKS: Record<string, string> = {
  BasicLatin: '\\u0000-\\u007F',
  'Latin-1Supplement': '\\u0080-\\u00FF',
  'LatinExtended-A': '\\u0100-\\u017F',
  'LatinExtended-B': '\\u0180-\\u024F',
  IPAExtensions: '\\u0250-\\u02AF',
  SpacingModifierLetters: '\\u02B0-\\u02FF',
  CombiningDiacriticalMarks: '\\u0300-\\u036F',
  Greek: '\\u0370-\\u03FF',
  Cyrillic: '\\u0400-\\u04FF',
  Armenian: '\\u0530-\\u058F',
  Hebrew: '\\u0590-\\u05FF',
  Arabic: '\\u0600-\\u06FF',
  Syriac: '\\u0700-\\u074F',
  Thaana: '\\u0780-\\u07BF',
  Devanagari: '\\u0900-\\u097F',
  LatinExtendedAdditional: '\\u1E00-\\u1EFF',
  GreekExtended: '\\u1F00-\\u1FFF',
  GeneralPunctuation: '\\u2000-\\u206F',
  SuperscriptsandSubscripts: '\\u2070-\\u209F',
  CurrencySymbols: '\\u20A0-\\u20CF',
  LetterlikeSymbols: '\\u2100-\\u214F',
  NumberForms: '\\u2150-\\u218F',
  Arrows: '\\u2190-\\u21FF',
  MathematicalOperators: '\\u2200-\\u22FF',
  CJKUnifiedIdeographs: '\\u4E00-\\u9FFF',
  AlphabeticPresentationForms: '\\uFB00-\\uFB4F',
  'ArabicPresentationForms-A': '\\uFB50-\\uFDFF',
  'ArabicPresentationForms-B': '\\uFE70-\\uFEFF',
  HalfwidthandFullwidthForms: '\\uFF00-\\uFFEF',
};

const CLASS_ESCAPES: Record<string, { inClass: string; alone: string }> = {
  d: { inClass: '\\p{Nd}', alone: '\\p{Nd}' },
  D: { inClass: '\\P{Nd}', alone: '\\P{Nd}' },
  s: { inClass: ' \\t\\n\\r', alone: '[ \\t\\n\\r]' },
  // ECMAScript's own \S would also leave out NBSP and other Unicode spaces, which XSD counts as data.
  S: { inClass: '\\u{0}-\\u{8}\\u{B}\\u{C}\\u{E}-\\u{1F}\\u{21}-\\u{10FFFF}', alone: '[^ \\t\\n\\r]' },
  // XSD \w: everything but punctuation, separators and "other" = letters, marks, numbers, symbols.
  w: { inClass: '\\p{L}\\p{M}\\p{N}\\p{S}', alone: '[\\p{L}\\p{M}\\p{N}\\p{S}]' },
  W: { inClass: '\\p{P}\\p{Z}\\p{C}', alone: '[\\p{P}\\p{Z}\\p{C}]' },
  i: { inClass: NAME_START, alone: `[${NAME_START}]` },
  I: { inClass: '', alone: `[^${NAME_START}]` },
  c: { inClass: NAME_CHAR, alone: `[${NAME_CHAR}]` },
  C: { inClass: '', alone: `[^${NAME_CHAR}]` },
};

const SINGLE_ESCAPES = new Set(['n', 'r', 't', '\\', '|', '.', '?', '*', '+', '(', ')', '{', '}', '-', '[', ']', '^', '$']);

export class XsdRegexError extends Error {}

/** Translates one XSD pattern into an anchored ECMAScript pattern; throws XsdRegexError when it cannot. */
export function xsdPatternToEcma(xsd: string): string {
  let i = 0;
  const peek = () => xsd[i];

  const escape = (inClass: boolean): string => {
    const c = xsd[i + 1];
    if (c === undefined) throw new XsdRegexError('pattern ends with a backslash');
    if (c === 'p' || c === 'P') {
      const close = xsd.indexOf('}', i);
      if (xsd[i + 2] !== '{' || close < 0) throw new XsdRegexError('malformed \\p{…}');
      const name = xsd.slice(i + 3, close);
      i = close + 1;
      if (name.startsWith('Is')) {
        const range = BLOCKS[name.slice(2)];
        if (!range) throw new XsdRegexError(`Unicode block ${name} is not supported`);
        if (c === 'p') return inClass ? range : `[${range}]`;
        if (inClass) throw new XsdRegexError(`\\P{${name}} inside a character class is not supported`);
        return `[^${range}]`;
      }
      return `\\${c}{${name}}`;
    }
    i += 2;
    const cls = CLASS_ESCAPES[c];
    if (cls) {
      if (inClass && !cls.inClass) throw new XsdRegexError(`\\${c} inside a character class is not supported`);
      return inClass ? cls.inClass : cls.alone;
    }
    if (SINGLE_ESCAPES.has(c)) {
      if (c === '-' && !inClass) return '-';
      return `\\${c}`;
    }
    throw new XsdRegexError(`unknown escape \\${c}`);
  };

  /** A character class, i at '['. Returns an ECMAScript atom. */
  const charClass = (): string => {
    i++; // [
    let negated = false;
    if (peek() === '^') {
      negated = true;
      i++;
    }
    let body = '';
    let first = true;
    while (i < xsd.length) {
      const c = xsd[i] as string;
      if (c === ']' && !first) {
        i++;
        return negated ? `[^${body}]` : `[${body}]`;
      }
      if (c === '-' && xsd[i + 1] === '[') {
        // Subtraction: [base-[sub]] → the ranges base keeps, read from V8 once (a lookahead would do
        // it in fewer characters, but the linear engine has none).
        i++;
        const sub = charClass();
        if (peek() !== ']') throw new XsdRegexError('malformed character class subtraction');
        i++;
        return subtract(negated ? `[^${body}]` : `[${body}]`, sub);
      }
      if (c === '\\') body += escape(true);
      else if (c === '[') throw new XsdRegexError('unexpected [ inside a character class');
      else {
        body += c === '^' || c === '/' ? `\\${c}` : c;
        i++;
      }
      first = false;
    }
    throw new XsdRegexError('unterminated character class');
  };

  let out = '';
  while (i < xsd.length) {
    const c = xsd[i] as string;
    if (c === '\\') out += escape(false);
    else if (c === '[') out += charClass();
    else if (c === '.') {
      out += '[^\\n\\r]';
      i++;
    } else if (c === '^' || c === '$' || c === '/') {
      out += `\\${c}`;
      i++;
    } else if (c === '(') {
      // XSD groups never use (?…) syntax; keep them capturing-free.
      out += '(?:';
      i++;
    } else {
      out += c;
      i++;
    }
  }
  const result = `^(?:${out})$`;
  try {
    new RegExp(result, 'u');
  } catch (err) {
    throw new XsdRegexError(`not a valid pattern once translated: ${(err as Error).message}`);
  }
  try {
    linearRegExp(result);
  } catch (err) {
    throw new XsdRegexError((err as Error).message);
  }
  return result;
}

function subtract(base: string, sub: string): string {
  const ranges = codePointsOf(`(?:(?!${sub})${base})`);
  const u = (cp: number) => `\\u{${cp.toString(16).toUpperCase()}}`;
  return `[${ranges.map(([a, b]) => (a === b ? u(a) : `${u(a)}-${u(b)}`)).join('')}]`;
}
