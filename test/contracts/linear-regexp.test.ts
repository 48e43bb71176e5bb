/**
 * The linear-time engine for contract patterns (contracts/linear-regexp.ts, unicode-ranges.ts)
 * and how every wasl Ajv uses it (contracts/index.ts `patternRegExp`): a pattern keeps the
 * meaning ECMAScript gives it with the `u` flag — checked against V8 itself — and what RE2
 * cannot match in linear time is refused by name.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createAjv, linearRegExp, PatternError, ref } from '../../contracts';
import { toRe2 } from '../../contracts/linear-regexp';
import { codePointsOf } from '../../contracts/unicode-ranges';
import { BUILTINS } from '../../connectors/soap/model';

/** Patterns a backtracking engine handles fine on short inputs, so V8 can be the reference. */
const PATTERNS = [
  '^[0-9]{11}$',
  '^[A-Z]{2}[0-9]{9}[A-Z]{2}$',
  '^[^\\p{Cc}\\p{Cs}\\p{Co}\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u2069]+$',
  '^\\p{Script=Arabic}+(?: \\p{Script=Arabic}+)*$',
  '^[\\p{L}\\p{M}]+(?:[ \\-][\\p{L}\\p{M}]+)*$',
  '^\\p{Nd}{3,5}$',
  'a.b',
  '^\\s*x\\S*$',
  '^[^\\s]+$',
  '\\bab\\b',
  '^(?:ab|a)(?:bc|c)?$',
  '^[\\w.-]+@[\\w-]+(?:\\.[\\w-]+)+$',
  '^\\u0041\\x42\\u{43}[\\0-\\cZ]?$',
  '^[^]*$',
  '^[]?$',
  '^(?<n>[a-c])+?$',
  'c|^$',
  '^\\P{L}\\p{Lu}?$',
  '^\\p{scx=Arabic}{2}$',
  '^[\\p{Alphabetic}\\d]+$',
];

/** Characters that sit on the edges of those patterns' classes. */
const ALPHABET = ['a', 'b', 'c', 'x', 'A', 'Z', '0', '9', '٣', ' ', '\t', '\n', '\r', '\u00a0', '\u2028', '\u200f', '\u202b', '-', '.', '@', '_', 'ب', 'ـ', 'é', 'Ж', '\u0301', '😀', '\ud800', '\0', '\u001a', '\ufeff'];

describe('linear-time patterns', () => {
  it('match exactly what V8 matches with the u flag', () => {
    const linear = PATTERNS.map((p) => linearRegExp(p));
    const native = PATTERNS.map((p) => new RegExp(p, 'u'));
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ALPHABET), { maxLength: 12 }), (chars) => {
        const s = chars.join('');
        PATTERNS.forEach((p, i) => assert.equal(linear[i]!.test(s), native[i]!.test(s), `${p} on ${JSON.stringify(s)}`));
      }),
      { numRuns: 2000, seed: 0x5eed },
    );
  });

  it('keep ECMAScript’s own ., \\s and \\S, not RE2’s, on every BMP character', () => {
    for (const p of ['^.$', '^\\s$', '^\\S$', '^[\\s\\d]$', '^[^\\S]$']) {
      const l = linearRegExp(p);
      const n = new RegExp(p, 'u');
      for (let c = 0; c < 0x10000; c++) {
        const s = String.fromCharCode(c);
        if (l.test(s) !== n.test(s)) assert.fail(`${p} differs on U+${c.toString(16)}`);
      }
    }
  });

  it('read Unicode properties RE2 has no name for from V8’s tables, astral planes and surrogates included', () => {
    const ranges = codePointsOf('\\p{scx=Arabic}');
    const l = linearRegExp('^\\p{scx=Arabic}$');
    const n = /^\p{scx=Arabic}$/u;
    for (let c = 0; c <= 0x10ffff; c += c < 0x20000 ? 1 : 97) {
      const s = String.fromCodePoint(c);
      if (l.test(s) !== n.test(s)) assert.fail(`\\p{scx=Arabic} differs on U+${c.toString(16)}`);
    }
    assert.ok(ranges.some(([a, b]) => a <= 0x0660 && 0x0669 <= b), 'Arabic-Indic digits are Arabic by Script_Extensions');
    assert.deepEqual(codePointsOf('\\p{Cs}'), [[0xd800, 0xdfff]]);
  });

  it('never hand RE2 a lookaround, and write every non-alphanumeric character as a code point', () => {
    assert.equal(toRe2('^(a+)+b$'), '^(?:a+)+b$');
    assert.equal(toRe2('^[:a]$'), '^[\\x{3a}a]$', 'no POSIX class [:…] can appear by accident');
    assert.equal(toRe2('^\\/\\.$'), '^\\x{2f}\\x{2e}$');
  });

  it('stay linear where V8 backtracks', () => {
    const re = linearRegExp('^(?:(a+)+b)$');
    const t0 = performance.now();
    assert.equal(re.test(`${'a'.repeat(5_000)}!`), false);
    assert.ok(performance.now() - t0 < 500, 'a 5,000-character input in well under a second');
  });

  it('refuse what cannot be matched in linear time, naming the pattern', () => {
    for (const [p, why] of [
      ['^(a)\\1$', /backreference, \\1/],
      ['^(?<x>a)\\k<x>$', /backreference/],
      ['^(?=a)a$', /lookahead/],
      ['^(?!a)b$', /lookahead/],
      ['(?<=a)b', /lookbehind/],
      ['(?<!a)b', /lookbehind/],
      ['^a{1001}$', /repetition counts up to 1000/],
      ['^[a$', /not a valid ECMAScript pattern/],
    ] as const) {
      assert.throws(
        () => linearRegExp(p),
        (err: Error) => err instanceof PatternError && err.pattern === p && err.message.includes(JSON.stringify(p)) && why.test(err.message),
        p,
      );
    }
    assert.throws(() => linearRegExp('a', 'i'), /only the u flag/);
  });

  it('run every XSD builtin lexical pattern (they go into every SOAP schema), duration keeping its meaning without lookahead', () => {
    for (const [name, info] of Object.entries(BUILTINS)) if (info.pattern) assert.doesNotThrow(() => linearRegExp(info.pattern!), name);
    const before = /^-?P(?=[0-9T])([0-9]+Y)?([0-9]+M)?([0-9]+D)?(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+(\.[0-9]+)?S)?)?$/;
    const now = linearRegExp(BUILTINS.duration!.pattern!);
    const alphabet = ['P', '-', 'T', '1', '.', 'Y', 'M', 'D', 'H', 'S'];
    const all = (n: number): string[] => (n === 0 ? [''] : all(n - 1).flatMap((s) => [s, ...alphabet.map((c) => s + c)]));
    for (const s of new Set(all(5))) assert.equal(now.test(s), before.test(s), s);
    for (const s of ['P1Y2M3DT4H5M6.5S', 'PT1S', '-P1D', 'P1YT1M']) assert.ok(now.test(s), s);
  });

  describe('in every wasl Ajv', () => {
    it('contract patterns run on RE2; each keeps its own compiled pattern', () => {
      const validate = createAjv().compile({
        type: 'object',
        properties: { a: { type: 'string', pattern: '^(a+)+b$' }, b: { type: 'string', pattern: '^(b+)+a$' } },
        patternProperties: { '^x(y+)+z$': { type: 'number' } },
      });
      const t0 = performance.now();
      assert.equal(validate({ a: `${'a'.repeat(40)}!` }), false);
      assert.ok(performance.now() - t0 < 100);
      assert.equal(validate({ a: 'aab', b: 'bba' }), true);
      assert.equal(validate({ a: 'bba' }), false);
      assert.equal(validate({ b: 'aab' }), false);
      assert.equal(validate({ xyyz: 'not a number' }), false);
      assert.equal(validate({ [`x${'y'.repeat(40)}`]: 'not matched: fine' }), true);
    });

    it('refuse a contract pattern RE2 cannot run when the schema is compiled', () => {
      assert.throws(() => createAjv().compile({ type: 'string', pattern: '^(?=a)[a-z]+$' }), PatternError);
      assert.throws(() => createAjv().compile({ type: 'object', patternProperties: { '(a)\\1': {} } }), PatternError);
    });

    it('keep the project’s own patterns on V8 (lookahead and Script_Extensions included)', () => {
      const validate = createAjv().compile({ $ref: ref('order', 'PersonName') });
      assert.ok(validate({ ar: 'عبد الله', latin: "O'Neil-Ahmad" }));
      assert.equal(validate({ ar: 'Reem' }), false);
    });
  });
});
