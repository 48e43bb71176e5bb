import assert from 'node:assert/strict';
import { escapeAttr, escapeText } from '../../../connectors/xml/escape';
import { parseXml, textOf } from '../../../connectors/xml/parse';

describe('connectors/xml/escape', () => {
  it('escapes what element content needs, and returns plain text as it is', () => {
    assert.equal(escapeText('a < b && c > d ]]> "q" \'s\''), 'a &lt; b &amp;&amp; c &gt; d ]]&gt; "q" \'s\'');
    const arabic = 'ريم خالد الأحمد';
    assert.equal(escapeText(arabic), arabic);
  });

  it('writes \\r as a reference so that it survives the reader', () => {
    assert.equal(escapeText('a\r\nb'), 'a&#13;\nb');
    assert.equal(textOf(parseXml(`<a>${escapeText('a\r\nb\rc')}</a>`)), 'a\r\nb\rc');
  });

  it('escapes quotes, tabs and line breaks in attribute values', () => {
    assert.equal(escapeAttr(`"x" 'y' <&>\t\n\r`), '&quot;x&quot; &apos;y&apos; &lt;&amp;&gt;&#9;&#10;&#13;');
    const v = ' a\tb\nc\r\n"d" ';
    assert.equal(parseXml(`<a v="${escapeAttr(v)}"/>`).attrs[0]!.value, v);
    assert.equal(parseXml(`<a v='${escapeAttr(v)}'/>`).attrs[0]!.value, v);
  });

  it('refuses characters XML 1.0 cannot carry, naming the code point only', () => {
    for (const s of ['x\u0000', 'x\u0001y', '\u000B', '\uFFFE', '\uFFFF']) {
      assert.throws(() => escapeText(`secret 01020304050 ${s}`), (e: Error) => e instanceof RangeError && /^U\+[0-9A-F]{4} /.test(e.message) && !e.message.includes('01020304050'));
      assert.throws(() => escapeAttr(s), RangeError);
    }
  });
});
