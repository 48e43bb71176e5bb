/** Property-based tests of the XML parser and escaping (fast-check). */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UnsafeResponse } from '../../../connectors/errors';
import { escapeAttr, escapeText } from '../../../connectors/xml/escape';
import { parseXml, type XmlAttr, type XmlElement, type XmlNode } from '../../../connectors/xml/parse';

/** Characters XML 1.0 can carry (no C0 controls but tab/LF/CR, no U+FFFE/U+FFFF, no lone surrogates). */
const xmlChar = fc
  .oneof(
    { weight: 4, arbitrary: fc.constantFrom('a', 'b', ' ', '\n', '\t', '\r', '<', '>', '&', '"', "'", ']]>', ';', '#', 'ر', 'ي', 'م', '١', '😀', '\u200f') },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  )
  .map((c) => c.replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g, 'x'));
const xmlText = fc.array(xmlChar, { maxLength: 12 }).map((a) => a.join(''));
const name = fc.constantFrom('a', 'b', 'item', 'Person', 'x-y', 'z.1', '_u', 'الاسم', 'شخص');
const nsPool = fc.constantFrom(
  { prefix: '', ns: '' },
  { prefix: '', ns: 'urn:default' },
  { prefix: 'p', ns: 'urn:p' },
  { prefix: 'p', ns: 'urn:other-p' },
  { prefix: 'soap', ns: 'http://schemas.xmlsoap.org/soap/envelope/' },
  { prefix: 'ب', ns: 'urn:ar' },
);

interface Gen {
  ns: string;
  prefix: string;
  local: string;
  attrs: XmlAttr[];
  children: Array<Gen | string>;
}

const attrsArb = fc
  .array(fc.record({ local: name, own: fc.boolean(), value: xmlText }), { maxLength: 4 })
  .map((list) => list);

const tree = fc.letrec<{ el: Gen; node: Gen | string }>((tie) => ({
  el: fc.record({ nsd: nsPool, local: name, attrs: attrsArb, children: fc.array(tie('node'), { maxLength: 5 }) }).map(({ nsd, local, attrs, children }) => {
    // Attributes: unprefixed (no namespace) or in the element's own prefixed namespace; unique.
    const seen = new Set<string>();
    const out: XmlAttr[] = [];
    for (const a of attrs) {
      const inNs = a.own && nsd.prefix !== '';
      const attr = { ns: inNs ? nsd.ns : '', local: a.local, prefix: inNs ? nsd.prefix : '', value: a.value };
      const key = `${attr.ns} ${attr.local}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(attr);
      }
    }
    return { ns: nsd.ns, prefix: nsd.prefix, local, attrs: out, children };
  }),
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, xmlText, tie('el')),
})).el;

/** Every element declares its own binding, so any tree is namespace-well-formed. */
function serialize(el: Gen): string {
  const q = el.prefix ? `${el.prefix}:${el.local}` : el.local;
  const decl = el.prefix ? ` xmlns:${el.prefix}="${escapeAttr(el.ns)}"` : ` xmlns="${escapeAttr(el.ns)}"`;
  const attrs = el.attrs.map((a) => ` ${a.prefix ? `${a.prefix}:` : ''}${a.local}="${escapeAttr(a.value)}"`).join('');
  const body = el.children.map((c) => (typeof c === 'string' ? escapeText(c) : serialize(c))).join('');
  return `<${q}${decl}${attrs}>${body}</${q}>`;
}

/** What the parser promises: adjacent text merged, empty text gone, blank text beside elements gone. */
function expected(el: Gen): XmlElement {
  const merged: XmlNode[] = [];
  for (const c of el.children) {
    const last = merged[merged.length - 1];
    if (typeof c === 'string') {
      if (typeof last === 'string') merged[merged.length - 1] = last + c;
      else if (c !== '') merged.push(c);
    } else merged.push(expected(c));
  }
  const hasElements = merged.some((c) => typeof c !== 'string');
  const children = hasElements ? merged.filter((c) => typeof c !== 'string' || !/^[ \t\n\r]*$/.test(c)) : merged.filter((c) => c !== '');
  // Line ends in text are normalised, but escapeText writes \r as a reference, which is kept.
  return { ns: el.ns, local: el.local, prefix: el.prefix, attrs: el.attrs, children };
}

function onlyUnsafe(input: string | Buffer): void {
  try {
    parseXml(input, { maxDepth: 16, maxElements: 64 });
  } catch (err) {
    if (!(err instanceof UnsafeResponse)) throw err;
  }
}

describe('connectors/xml properties', () => {
  it('round-trips random well-formed trees: serialize with escapeText/escapeAttr, then parseXml', () => {
    const seen = { depth: 0, attrs: 0, texts: 0 };
    const depth = (g: Gen): number => 1 + Math.max(0, ...g.children.map((c) => (typeof c === 'string' ? 0 : depth(c))));
    fc.assert(
      fc.property(tree, (t) => {
        const xml = serialize(t);
        assert.deepEqual(parseXml(xml), expected(t));
        assert.deepEqual(parseXml(Buffer.from(xml, 'utf8')), expected(t));
        seen.depth = Math.max(seen.depth, depth(t));
        seen.attrs += t.attrs.length;
        seen.texts += t.children.filter((c) => typeof c === 'string').length;
      }),
      { numRuns: 400 },
    );
    // The generator really covers nesting, attributes and text.
    assert.ok(seen.depth >= 3 && seen.attrs > 50 && seen.texts > 50, JSON.stringify(seen));
  });

  it('round-trips any XML text and attribute value exactly, Arabic and astral characters included', () => {
    fc.assert(
      fc.property(xmlText, xmlText, (text, value) => {
        const el = parseXml(`<a v="${escapeAttr(value)}">${escapeText(text)}<b/></a>`);
        assert.equal(el.attrs[0]!.value, value);
        const t = el.children[0];
        if (/^[ \t\n\r]*$/.test(text)) assert.equal(typeof t, 'object');
        else assert.equal(t, text);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws anything but UnsafeResponse on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => onlyUnsafe(Buffer.from(bytes))), { numRuns: 2000 });
  });

  it('never throws anything but UnsafeResponse on random strings of XML-ish tokens', () => {
    const token = fc.constantFrom(
      '<', '>', '/', '</', '/>', 'a', 'b', ':', 'p:', 'xmlns', 'xmlns:p', '=', '"', "'", ' ', '\n', '&', '&amp;', '&lt;', '&#', '&#x', '1F44D', ';', '&#0;',
      '<!--', '-->', '<![CDATA[', ']]>', '<?', '?>', '<?xml version="1.0"?>', '<!DOCTYPE', '<!ENTITY', '\u0000', '\uFEFF', 'ب', '\uD800', 'urn:x', '"urn:x"',
    );
    fc.assert(fc.property(fc.array(token, { maxLength: 40 }), (tokens) => onlyUnsafe(tokens.join(''))), { numRuns: 3000 });
  });

  it('never throws anything but UnsafeResponse when a well-formed document is cut or mutated', () => {
    fc.assert(
      fc.property(tree, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (t, cut, at, byte) => {
        const xml = Buffer.from(serialize(t), 'utf8');
        onlyUnsafe(xml.subarray(0, cut % (xml.length + 1)));
        const mutated = Buffer.from(xml);
        mutated[at % mutated.length] = byte;
        onlyUnsafe(mutated);
      }),
      { numRuns: 500 },
    );
  });
});
