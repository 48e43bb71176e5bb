import assert from 'node:assert/strict';
import { XsdRegexError, xsdPatternToEcma } from '../../../../connectors/soap/wsdl/xsd-regex';
import { linearRegExp } from '../../../../contracts/linear-regexp';

/** As V8 reads the translation and as the linear-time engine that checks contracts does: they must agree. */
function matches(xsd: string, value: string): boolean {
  const ecma = xsdPatternToEcma(xsd);
  const native = new RegExp(ecma, 'u').test(value);
  assert.equal(linearRegExp(ecma).test(value), native, `the engines disagree on ${xsd} for ${JSON.stringify(value)}`);
  return native;
}

describe('XSD pattern → ECMAScript', () => {
  it('anchors implicitly and treats ^ and $ as ordinary characters', () => {
    assert.equal(matches('[0-9]{3}', '123'), true);
    assert.equal(matches('[0-9]{3}', '1234'), false);
    assert.equal(matches('a|b', 'ab'), false, 'alternation stays inside the anchors');
    assert.equal(matches('a^b$', 'a^b$'), true);
  });

  it('translates \\d \\w \\s \\i \\c Unicode-wide, as XSD defines them', () => {
    assert.equal(matches('\\d{3}', '٣٤٥'), true, 'Arabic-Indic digits are \\d');
    assert.equal(matches('\\w+', 'ريم'), true);
    assert.equal(matches('\\w', '-'), false);
    assert.equal(matches('[\\w\\-]+', 'a-ب'), true);
    assert.equal(matches('\\s', '\u00A0'), false, 'XSD \\s is only space, tab, CR, LF');
    assert.equal(matches('\\i\\c*', 'xsd:element-1'), true);
    assert.equal(matches('\\i\\c*', '1abc'), false);
    assert.equal(matches('.', '\n'), false);
  });

  it('translates Unicode blocks and character class subtraction', () => {
    assert.equal(matches('\\p{IsArabic}+', 'وصل'), true);
    assert.equal(matches('\\p{IsBasicLatin}+', 'wasl'), true);
    assert.equal(matches('\\P{IsBasicLatin}', 'a'), false);
    assert.equal(matches('[a-z-[aeiou]]+', 'xyz'), true);
    assert.equal(matches('[a-z-[aeiou]]+', 'xaz'), false);
    assert.equal(matches('\\p{Lu}\\p{Ll}+', 'Wasl'), true);
  });

  it('writes a subtraction as the ranges it leaves, with no lookahead for the linear-time engine', () => {
    for (const [xsd, base, sub] of [
      ['[a-z-[aeiou]]', '[a-z]', '[aeiou]'],
      ['[\\p{L}-[\\p{Lu}\\p{IsArabic}]]', '[\\p{L}]', '[\\p{Lu}\\u0600-\\u06FF]'],
      ['[^a-z-[\\s]]', '[^a-z]', '[ \\t\\n\\r]'],
      ['[\\d-[0-9]]', '[\\p{Nd}]', '[0-9]'],
    ] as const) {
      const ecma = xsdPatternToEcma(xsd);
      assert.ok(!ecma.includes('(?!'), ecma);
      const translated = new RegExp(ecma, 'u');
      const reference = new RegExp(`^(?:(?!${sub})${base})$`, 'u');
      for (let c = 0; c <= 0x10ffff; c += c < 0x10000 ? 1 : 61) {
        const ch = String.fromCodePoint(c);
        if (translated.test(ch) !== reference.test(ch)) assert.fail(`${xsd} differs on U+${c.toString(16)}`);
      }
    }
    assert.equal(matches('[\\d-[0-9]]+', '٣٤'), true, 'Arabic-Indic digits are digits, ASCII ones subtracted');
    assert.equal(matches('[\\d-[0-9]]+', '34'), false);
  });

  it('reads NCName’s [\\i-[:]][\\c-[:]]* as XSD means it, quickly (explicit ranges are not scanned code point by code point)', () => {
    const t0 = performance.now();
    const ncname = new RegExp(xsdPatternToEcma('[\\i-[:]][\\c-[:]]*'), 'u');
    assert.ok(performance.now() - t0 < 1_000);
    const start = new RegExp(xsdPatternToEcma('\\i'), 'u');
    const char = new RegExp(xsdPatternToEcma('\\c'), 'u');
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      if (ncname.test(ch) !== (start.test(ch) && ch !== ':')) assert.fail(`\\i-[:] differs on U+${c.toString(16)}`);
      if (ncname.test(`a${ch}`) !== (char.test(ch) && ch !== ':')) assert.fail(`\\c-[:] differs on U+${c.toString(16)}`);
    }
    assert.equal(matches('[\\i-[:]][\\c-[:]]*', 'xsd:element'), false);
    assert.equal(matches('[\\i-[:]][\\c-[:]]*', 'element-1.ب'), true);
  });

  it('keeps XSD’s \\S inside a class: only space, tab, CR and LF are left out', () => {
    assert.equal(matches('[\\S]+', '\u00A0\u2028'), true);
    assert.equal(matches('[\\S]', ' '), false);
  });

  it('keeps escapes XSD allows and refuses what it cannot translate', () => {
    assert.equal(matches('\\{[a-f0-9]{2}\\}', '{0a}'), true);
    assert.equal(matches('a\\-b', 'a-b'), true);
    assert.equal(matches('\\.\\*', '.*'), true);
    assert.throws(() => xsdPatternToEcma('\\p{IsKlingon}'), XsdRegexError);
    assert.throws(() => xsdPatternToEcma('[a'), XsdRegexError);
    assert.throws(() => xsdPatternToEcma('a\\'), XsdRegexError);
    assert.throws(() => xsdPatternToEcma('\\q'), XsdRegexError);
    assert.throws(() => xsdPatternToEcma('[a-z]{1,2000}'), /repetition counts up to 1000/, 'beyond what the linear-time engine takes');
  });
});
