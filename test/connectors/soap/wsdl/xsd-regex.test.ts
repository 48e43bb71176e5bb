import assert from 'node:assert/strict';
import { XsdRegexError, xsdPatternToEcma } from '../../../../connectors/soap/wsdl/xsd-regex';

function matches(xsd: string, value: string): boolean {
  return new RegExp(xsdPatternToEcma(xsd), 'u').test(value);
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

  it('keeps escapes XSD allows and refuses what it cannot translate', () => {
    assert.equal(matches('\\{[a-f0-9]{2}\\}', '{0a}'), true);
    assert.equal(matches('a\\-b', 'a-b'), true);
    assert.equal(matches('\\.\\*', '.*'), true);
    assert.throws(() => xsdPatternToEcma('\\p{IsKlingon}'), XsdRegexError);
    assert.throws(() => xsdPatternToEcma('[a'), XsdRegexError);
    assert.throws(() => xsdPatternToEcma('a\\'), XsdRegexError);
    assert.throws(() => xsdPatternToEcma('\\q'), XsdRegexError);
  });
});
