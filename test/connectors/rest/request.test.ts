import assert from 'node:assert/strict';
import { parseXml } from '../../../connectors/xml/parse';
import { RequestBuildError, type RestBinding } from '../../../connectors/rest/binding';
import { buildRequest } from '../../../connectors/rest/request';
import { fromXml, toXml } from '../../../connectors/rest/xml-body';
import { manualOperation } from '../../../connectors/rest/manual';

const base: RestBinding = { method: 'GET', path: '/', parameters: [], successStatuses: [200], errorResponses: {} };
const ARABIC = 'ريم خالد الأحمد';

describe('REST request building', () => {
  it('encodes path parameters, refuses dot segments, and joins the endpoint path', () => {
    const b: RestBinding = { ...base, path: '/persons/{nn}/docs/{kind}', parameters: [{ name: 'nn', in: 'path', required: true }, { name: 'kind', in: 'path', required: true }] };
    const r = buildRequest('https://x.gov.sy/api/v1/', b, { path: { nn: 'a/b?c', kind: ARABIC } });
    assert.equal(r.url.pathname, `/api/v1/persons/a%2Fb%3Fc/docs/${encodeURIComponent(ARABIC)}`);
    assert.throws(() => buildRequest('https://x.gov.sy', b, { path: { nn: '..', kind: 'x' } }), (e: RequestBuildError) => e.pointer === '/path/nn');
    const arr = buildRequest('https://x.gov.sy', { ...b, path: '/p/{nn}' }, { path: { nn: [1, 2] } });
    assert.equal(arr.url.pathname, '/p/1,2');
  });

  it('serialises query parameters: arrays as repeated keys, explode false, deepObject, RFC 3986 encoding', () => {
    const b: RestBinding = {
      ...base,
      parameters: [
        { name: 'tags', in: 'query', required: false, style: 'form', explode: false },
        { name: 'filter', in: 'query', required: false, style: 'deepObject', explode: true },
      ],
    };
    const r = buildRequest('https://x.gov.sy', b, { query: { include: ['family', 'addresses'], tags: ['a', 'b'], filter: { city: 'دمشق', n: 2 }, q: "it's a b", none: undefined } });
    assert.equal(r.url.search, `?include=family&include=addresses&tags=a%2Cb&filter%5Bcity%5D=${encodeURIComponent('دمشق')}&filter%5Bn%5D=2&q=it%27s%20a%20b`);
    assert.equal(new URL(r.url.href).searchParams.get('filter[city]'), 'دمشق');
  });

  it('sets declared headers and refuses a header value that could split the request', () => {
    const r = buildRequest('https://x.gov.sy', base, { headers: { 'X-Centre-Code': 'DAM-01', 'X-Count': 3 } });
    assert.equal(r.headers['X-Centre-Code'], 'DAM-01');
    assert.equal(r.headers['X-Count'], '3');
    assert.throws(() => buildRequest('https://x.gov.sy', base, { headers: { 'X-A': 'a\r\nX-Injected: 1' } }), (e: RequestBuildError) => e.pointer === '/headers/X-A' && !e.message.includes('Injected'));
    assert.throws(() => buildRequest('https://x.gov.sy', base, { headers: { 'X-A': ARABIC } }), RequestBuildError);
  });

  it('writes JSON bodies as UTF-8, byte for byte', () => {
    const r = buildRequest('https://x.gov.sy', { ...base, method: 'POST', requestMediaType: 'application/json' }, { body: { name: ARABIC } });
    assert.deepEqual(r.body, Buffer.from(`{"name":"${ARABIC}"}`, 'utf8'));
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
  });
});

describe('REST XML mapping', () => {
  const schema = {
    type: 'object',
    properties: {
      '@number': { type: 'integer' },
      owner: { type: 'string' },
      fee: { type: 'object', properties: { '@currency': { type: 'string' }, $value: { type: 'number' } } },
      line: { type: 'array', items: { type: 'string' } },
      urgent: { type: 'boolean' },
      note: { type: ['string', 'null'] },
      person: { $ref: '#/$defs/Person' },
    },
    $defs: { Person: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/Person' } }, age: { type: 'integer' } } } },
  };

  it('writes properties as elements, @ as attributes, $value as text, arrays as repeated elements, with the root namespace', () => {
    const xml = toXml({ '@number': 7, owner: `${ARABIC} & <co>`, fee: { '@currency': 'SYP', $value: 2500 }, line: ['a', 'b'], urgent: true, note: null }, 'Statement', 'urn:mot');
    assert.equal(xml, `<?xml version="1.0" encoding="UTF-8"?><Statement xmlns="urn:mot" number="7"><owner>${ARABIC} &amp; &lt;co&gt;</owner><fee currency="SYP">2500</fee><line>a</line><line>b</line><urgent>true</urgent></Statement>`);
    assert.throws(() => toXml({ 'bad name': 1 }, 'R'), (e: RequestBuildError) => e.pointer === '/body/bad name');
    assert.throws(() => toXml({ a: 'x\u0001' }, 'R'), (e: RequestBuildError) => e.pointer === '/body/a' && /cannot carry/.test(e.message));
    assert.throws(() => toXml([1], 'R'), RequestBuildError);
  });

  it('reads back with the schema deciding arrays, numbers, booleans and null; Arabic exact', () => {
    const xml = `<s:Statement xmlns:s="urn:mot" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" number="7"><s:owner>${ARABIC}</s:owner><s:fee currency="SYP">2500.5</s:fee><s:line>only</s:line><s:urgent>1</s:urgent><s:note xsi:nil="true"/><s:person><s:age>4</s:age><s:children><s:age>1</s:age></s:children></s:person></s:Statement>`;
    const value = fromXml(parseXml(xml), schema);
    assert.deepEqual(value, { '@number': 7, owner: ARABIC, fee: { '@currency': 'SYP', $value: 2500.5 }, line: ['only'], urgent: true, note: null, person: { age: 4, children: [{ age: 1 }] } });
    assert.equal(Buffer.from((value as { owner: string }).owner, 'utf8').toString('hex'), Buffer.from(ARABIC, 'utf8').toString('hex'));
  });

  it('reads without a schema: repeated elements are arrays, text stays text', () => {
    assert.deepEqual(fromXml(parseXml('<r a="1"><x>1</x><x>2</x><y>3</y></r>')), { '@a': '1', x: ['1', '2'], y: '3' });
    // A round trip through both directions keeps the value.
    const v = { '@id': 'x1', name: ARABIC, items: ['a', 'b'] };
    assert.deepEqual(fromXml(parseXml(toXml(v, 'r'))), v);
  });
});

describe('REST manual operations', () => {
  it('turns a hand-described operation into the same input convention, adding undeclared path placeholders', () => {
    const op = manualOperation('getOwnership', {
      method: 'GET',
      path: '/vehicles/{plate}/ownership/{year}',
      parameters: [
        { name: 'plate', in: 'path', schema: { type: 'string', pattern: '^[0-9]{6}$' } },
        { name: 'lang', in: 'query', schema: { enum: ['ar', 'en'] } },
        { name: 'X-Centre', in: 'header', required: true },
      ],
      response: { schema: { type: 'object' } },
    });
    assert.deepEqual(op.inputSchema, {
      type: 'object',
      additionalProperties: false,
      properties: {
        path: { type: 'object', additionalProperties: false, properties: { plate: { type: 'string', pattern: '^[0-9]{6}$' }, year: { type: 'string', minLength: 1 } }, required: ['plate', 'year'] },
        query: { type: 'object', additionalProperties: false, properties: { lang: { enum: ['ar', 'en'] } } },
        headers: { type: 'object', additionalProperties: false, properties: { 'X-Centre': { type: 'string' } }, required: ['X-Centre'] },
      },
      required: ['path', 'headers'],
    });
    assert.equal(op.idempotent, true);
    assert.equal(op.binding.responseMediaType, 'application/json');
    assert.deepEqual(op.binding.parameters.map((p) => `${p.in}:${p.name}:${p.required}`), ['path:plate:true', 'query:lang:false', 'header:X-Centre:true', 'path:year:true']);
    const post = manualOperation('issue', { method: 'POST', path: '/s', requestBody: { mediaType: 'application/xml', rootElement: 'Req', schema: { type: 'object' } } });
    assert.equal(post.binding.xmlRoot, 'Req');
    assert.equal(post.idempotent, false);
    assert.deepEqual(post.outputSchema, {});
  });
});
