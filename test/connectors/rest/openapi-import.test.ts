import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import nock from 'nock';
import { createAjv } from '../../../contracts/index';
import { importOpenApi } from '../../../connectors/import/openapi';
import { generateTypes } from '../../../connectors/import/typescript';
import { planProvider, writeProvider } from '../../../connectors/import/write';
import { loadProvider } from '../../../connectors/provider-files';
import type { ImportedContract, ImportedOperation } from '../../../connectors/import/types';
import type { RestBinding } from '../../../connectors/rest/binding';

const FIXTURES = resolve(__dirname, '..', '..', 'fixtures', 'openapi');
const CIVIL = join(FIXTURES, 'civil-registry', 'openapi.yaml');
const VEHICLES = join(FIXTURES, 'vehicle-registry.json');

function op(c: ImportedContract, name: string): ImportedOperation {
  const found = c.operations.find((o) => o.name === name);
  assert.ok(found, `operation ${name}`);
  return found;
}
const binding = (o: ImportedOperation) => o.binding as unknown as RestBinding;

describe('OpenAPI import', () => {
  describe('3.0 YAML with $refs across two files', () => {
    let c: ImportedContract;
    before(async () => {
      c = await importOpenApi('moi-civil-registry', CIVIL);
    });

    it('finds one operation per operationId and names the one without', () => {
      assert.deepEqual(c.operations.map((o) => o.name), ['getPerson', 'requestExtract', 'getExtracts', 'cancelExtract']);
      assert.ok(c.warnings.some((w) => w.includes('GET /extracts has no operationId') && w.includes('getExtracts')));
      assert.deepEqual(c.operations.map((o) => o.idempotent), [true, false, true, true]);
    });

    it('bundles both documents, the main one first, by their relative paths', () => {
      assert.deepEqual(c.files.map((f) => f.path), ['openapi.yaml', 'schemas/common.yaml']);
      assert.match(c.files[1]!.content, /^NationalNumber:/m);
    });

    it('groups parameters by location: path (from the path item, via a $ref to the other file), query, headers', () => {
      const input = op(c, 'getPerson').inputSchema as any;
      assert.deepEqual(Object.keys(input.properties), ['path', 'query', 'headers']);
      assert.deepEqual(input.required, ['path', 'headers']);
      assert.deepEqual(input.properties.path, { type: 'object', additionalProperties: false, properties: { nationalNumber: { $ref: '#/$defs/NationalNumber' } }, required: ['nationalNumber'] });
      assert.deepEqual(input.$defs.NationalNumber, { type: 'string', pattern: '^\\d{11}$' });
      assert.deepEqual(input.properties.query.properties.include, { description: 'Parts of the record to add', type: 'array', items: { type: 'string', enum: ['family', 'addresses'] } });
      assert.equal(input.properties.query.required, undefined);
      // Accept is ignored as OpenAPI says; the cookie parameter is left out with a warning.
      assert.deepEqual(Object.keys(input.properties.headers.properties), ['X-Centre-Code']);
      assert.ok(c.warnings.some((w) => w.includes('cookie parameter "session"')));
      assert.deepEqual(binding(op(c, 'getPerson')).parameters, [
        { name: 'nationalNumber', in: 'path', required: true },
        { name: 'include', in: 'query', required: false },
        { name: 'X-Centre-Code', in: 'header', required: true },
      ]);
    });

    it('converts 3.0 schemas: nullable, nullable beside $ref, enums, exclusiveMinimum, example, extensions, recursion', () => {
      const out = op(c, 'getPerson').outputSchema as any;
      assert.equal(out.$ref, '#/$defs/Person');
      const person = out.$defs.Person;
      assert.deepEqual(person.properties.motherName, { type: ['string', 'null'] });
      assert.deepEqual(person.properties.maritalStatus, { type: ['string', 'null'], enum: ['single', 'married', 'divorced', 'widowed', null] });
      assert.deepEqual(person.properties.birthPlace, { anyOf: [{ $ref: '#/$defs/Place' }, { type: 'null' }] });
      assert.deepEqual(person.properties.children, { type: 'array', items: { $ref: '#/$defs/Person' } });
      assert.equal(person['x-personal-data'], undefined);
      // `properties` without a type gets `type: object`; an unknown format is dropped with a warning.
      assert.deepEqual(out.$defs.Place, { properties: { governorate: { type: 'string' }, city: { type: 'string' } }, type: 'object' });
      assert.ok(c.warnings.some((w) => w.includes('format "arabic-place-name"')));
      const extract = (op(c, 'requestExtract').outputSchema as any).$defs.Extract;
      assert.deepEqual(extract.properties.fee, { type: 'number', exclusiveMinimum: 0, examples: [2500] });
      assert.deepEqual(extract.properties.issuedAt, { type: ['string', 'null'], format: 'date-time' });
      assert.equal(extract['x-audit'], undefined);
      const limit = (op(c, 'getExtracts').inputSchema as any).properties.query.properties.limit;
      assert.deepEqual(limit, { type: 'integer', exclusiveMinimum: 0, maximum: 100, examples: [20] });
    });

    it('takes the request body (via components/requestBodies) and the 201 response; a 204 is null', () => {
      const re = op(c, 'requestExtract');
      const input = re.inputSchema as any;
      assert.deepEqual(input.required, ['path', 'body']);
      assert.deepEqual(input.properties.body.required, ['purpose', 'copies']);
      assert.deepEqual(input.properties.body.properties.note, { type: ['string', 'null'] });
      assert.equal(input.properties.body.properties.applicantName.$ref, '#/$defs/ArabicName');
      const b = binding(re);
      assert.equal(b.method, 'POST');
      assert.equal(b.path, '/persons/{nationalNumber}/extracts');
      assert.equal(b.requestMediaType, 'application/json');
      assert.equal(b.responseMediaType, 'application/json');
      assert.deepEqual(b.successStatuses, [201]);
      assert.deepEqual(Object.keys(b.errorResponses), ['409', '503']);
      assert.equal((b.errorResponses['409']!.schema as any).$defs.Error.required[0], 'code');

      const cancel = op(c, 'cancelExtract');
      assert.deepEqual({ ...cancel.outputSchema, $schema: undefined, title: undefined }, { $schema: undefined, title: undefined, type: 'null' });
      assert.equal(binding(cancel).responseMediaType, undefined);
      assert.deepEqual(Object.keys(binding(cancel).errorResponses), ['default']);
    });

    it('gives the provider hints: endpoint with server variables filled in, an API key named after the code', () => {
      assert.deepEqual(c.endpoints, ['https://civil-registry.moi.gov.sy/api/v1', 'https://sandbox.civil-registry.moi.gov.sy/api/v1']);
      // Where the addresses go is the writer's: never the sandbox (see below).
      assert.equal(c.provider.environments, undefined);
      assert.deepEqual(c.provider.security, { apiKey: { in: 'header', name: 'X-Api-Key', valueEnv: 'MOI_CIVIL_REGISTRY_API_KEY' } });
      assert.equal(c.kind, 'rest');
      assert.equal(c.contractType, 'openapi');
    });

    it('produces schemas that strict Ajv compiles and that accept and refuse the right documents (Arabic included)', () => {
      const ajv = createAjv();
      for (const o of c.operations) {
        ajv.compile(o.inputSchema);
        ajv.compile(o.outputSchema);
      }
      const input = ajv.compile(op(c, 'requestExtract').inputSchema);
      assert.ok(input({ path: { nationalNumber: '01020304050' }, body: { purpose: 'travel', copies: 2, note: null, applicantName: 'ريم خالد الأحمد' } }));
      assert.ok(!input({ path: { nationalNumber: '0102' }, body: { purpose: 'travel', copies: 2 } }));
      assert.ok(!input({ path: { nationalNumber: '01020304050' }, body: { purpose: 'holiday', copies: 2 } }));
      assert.ok(!input({ path: { nationalNumber: '01020304050' }, body: { purpose: 'travel', copies: 2 }, extra: 1 }));
      const output = ajv.compile(op(c, 'getPerson').outputSchema);
      assert.ok(output({ nationalNumber: '01020304050', fullName: 'ريم', maritalStatus: null, birthPlace: null, children: [{ nationalNumber: '01020304051', fullName: 'سلمى' }] }));
      assert.ok(!output({ nationalNumber: '01020304050', fullName: 'ريم', children: [{ nationalNumber: 'x', fullName: 'سلمى' }] }));
      assert.ok(!output({ nationalNumber: '01020304050', fullName: 'ريم', maritalStatus: 'other' }));
      const list = ajv.compile(op(c, 'getExtracts').inputSchema);
      assert.ok(list({ query: { limit: 1 } }));
      assert.ok(!list({ query: { limit: 0 } }));
    });

    it('produces schemas the provider types are generated from (connectors/import/typescript.ts)', async () => {
      const ts = await generateTypes('moi-civil-registry', c.operations);
      assert.match(ts, /export interface GetPersonOutput \{/);
      assert.match(ts, /export interface Person \{/);
      assert.match(ts, /motherName\?: string \| null;/);
      assert.match(ts, /children\?: Person\[\];/);
      assert.match(ts, /'X-Centre-Code': string;/);
    });
  });

  describe('3.1 JSON with an XML body and OAuth2', () => {
    let c: ImportedContract;
    before(async () => {
      c = await importOpenApi('mot-vehicles', VEHICLES);
    });

    it('keeps 3.1 schemas as they are (type arrays, const, examples, keywords beside $ref)', () => {
      const out = op(c, 'getOwnership').outputSchema as any;
      assert.deepEqual(out.$defs.Ownership.properties.since, { type: ['string', 'null'], format: 'date' });
      assert.deepEqual(out.$defs.Ownership.properties.owner, { $ref: '#/$defs/Owner', description: 'The registered owner' });
      assert.deepEqual(out.$defs.Ownership.properties.liens.examples, [['bank']]);
      assert.deepEqual(out.$defs.Owner.properties.kind, { const: 'person' });
      assert.equal(binding(op(c, 'getOwnership')).errorResponses['404']!.mediaType, 'application/problem+json');
      assert.deepEqual(c.warnings, []);
    });

    it('maps the XML body to the connector XML mapping: @attributes, renamed elements, wrapped arrays; root and namespace in the binding', () => {
      const o = op(c, 'issueStatement');
      const b = binding(o);
      assert.equal(b.requestMediaType, 'application/xml');
      assert.equal(b.xmlRoot, 'StatementRequest');
      assert.equal(b.xmlNamespace, 'urn:mot:statements');
      assert.equal(b.responseMediaType, 'application/xml');
      assert.equal(b.responseXmlRoot, 'Statement');
      const body = (o.inputSchema as any).$defs.StatementRequest;
      assert.deepEqual(Object.keys(body.properties), ['@plate', 'OwnerName', 'copies', 'urgent', 'Purposes']);
      assert.deepEqual(body.required, ['@plate', 'OwnerName']);
      assert.deepEqual(body.properties.Purposes, { type: 'object', properties: { Purpose: { type: 'array', items: { type: 'string' } } } });
      const out = (o.outputSchema as any).$defs.Statement;
      assert.deepEqual(Object.keys(out.properties), ['@number', 'owner', 'fee', 'line']);
      assert.equal(b.errorResponses['400']!.mediaType, 'application/xml');
      assert.equal(o.idempotent, false);
    });

    it('turns OAuth2 client credentials into an oauth2 skeleton with the token URL and scopes', () => {
      assert.deepEqual(c.provider.security, {
        oauth2: { tokenUrl: 'https://auth.mot.gov.sy/oauth/token', clientIdEnv: 'MOT_VEHICLES_CLIENT_ID', clientSecretEnv: 'MOT_VEHICLES_CLIENT_SECRET', scopes: ['ownership:read', 'statements:write'] },
      });
      assert.deepEqual(c.endpoints, ['https://vehicles.mot.gov.sy/v2']);
      assert.equal(c.provider.environments, undefined);
    });

    it('compiles under strict Ajv', () => {
      const ajv = createAjv();
      for (const o of c.operations) {
        ajv.compile(o.inputSchema);
        ajv.compile(o.outputSchema);
      }
      const v = ajv.compile(op(c, 'issueStatement').inputSchema);
      assert.ok(v({ body: { '@plate': '123456', OwnerName: 'سامر', Purposes: { Purpose: ['sale'] } } }));
      assert.ok(!v({ body: { plate: '123456', OwnerName: 'سامر' } }));
    });
  });

  describe('sources and failures', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'wasl-openapi-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
      nock.cleanAll();
    });

    const minimal = (schemaRef: string) => `openapi: 3.0.3
info: { title: T, version: '1' }
paths:
  /a:
    get:
      operationId: getA
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '${schemaRef}'
`;

    it('names a missing referenced file and the document that refers to it', async () => {
      await writeFile(join(dir, 'api.yaml'), minimal('missing/types.yaml#/A'));
      await assert.rejects(importOpenApi('x-api', join(dir, 'api.yaml')), /\$ref "missing\/types\.yaml#\/A" in api\.yaml cannot be loaded: no such file/);
    });

    it('names a pointer that leads nowhere', async () => {
      await writeFile(join(dir, 'api.yaml'), minimal('#/components/schemas/Nope'));
      await assert.rejects(importOpenApi('x-api', join(dir, 'api.yaml')), /api\.yaml has nothing at #\/components\/schemas\/Nope/);
    });

    it('never fetches an absolute remote $ref', async () => {
      const scope = nock('https://schemas.example.org').get('/a.yaml').reply(200, 'A: {type: string}');
      await writeFile(join(dir, 'api.yaml'), minimal('https://schemas.example.org/a.yaml#/A'));
      await assert.rejects(importOpenApi('x-api', join(dir, 'api.yaml')), /absolute URL is never fetched/);
      assert.ok(!scope.isDone());
    });

    it('imports leniently with allowUnresolved: the schema is left open and a warning says why', async () => {
      await writeFile(join(dir, 'api.yaml'), minimal('missing/types.yaml#/A'));
      const c = await importOpenApi('x-api', join(dir, 'api.yaml'), { allowUnresolved: true });
      assert.ok(c.warnings.some((w) => w.includes('unresolved $ref "missing/types.yaml#/A"')));
      assert.deepEqual((c.operations[0]!.outputSchema as any).description, 'unresolved $ref missing/types.yaml#/A');
      createAjv().compile(c.operations[0]!.outputSchema);
    });

    it('fetches a document and its relative $refs from a URL (through one redirect)', async () => {
      const main = await readFile(CIVIL, 'utf8');
      const common = await readFile(join(FIXTURES, 'civil-registry', 'schemas', 'common.yaml'), 'utf8');
      const scope = nock('https://contracts.moi.gov.sy')
        .get('/openapi.yaml')
        .reply(302, '', { location: '/civil/v1/openapi.yaml' })
        .get('/civil/v1/openapi.yaml')
        .reply(200, main, { 'content-type': 'application/yaml' })
        .get('/civil/v1/schemas/common.yaml')
        .reply(200, common);
      const c = await importOpenApi('moi-civil-registry', 'https://contracts.moi.gov.sy/openapi.yaml');
      assert.ok(scope.isDone());
      assert.deepEqual(c.files.map((f) => f.path), ['openapi.yaml', 'schemas/common.yaml']);
      assert.equal(c.operations.length, 4);
    });

    it('refuses a contract URL that answers with an error', async () => {
      nock('https://contracts.moi.gov.sy').get('/gone.yaml').reply(404, 'not here');
      await assert.rejects(importOpenApi('x-api', 'https://contracts.moi.gov.sy/gone.yaml'), /HTTP 404/);
    });

    it('refuses Swagger 2.0, unknown versions, duplicate operationIds and unparsable documents', async () => {
      await writeFile(join(dir, 's.json'), '{"swagger": "2.0", "paths": {}}');
      await assert.rejects(importOpenApi('x-api', join(dir, 's.json')), /Swagger 2\.0 is not supported/);
      await writeFile(join(dir, 'v.json'), '{"openapi": "4.0.0", "paths": {}}');
      await assert.rejects(importOpenApi('x-api', join(dir, 'v.json')), /OpenAPI 4\.0\.0 is not supported/);
      await writeFile(join(dir, 'd.yaml'), `openapi: 3.1.0
info: { title: T, version: '1' }
paths:
  /a: { get: { operationId: same, responses: { '204': { description: ok } } } }
  /b: { get: { operationId: same, responses: { '204': { description: ok } } } }
`);
      await assert.rejects(importOpenApi('x-api', join(dir, 'd.yaml')), /operationId "same" is used by more than one operation/);
      await writeFile(join(dir, 'bad.yaml'), 'openapi: 3.0.0\npaths: [unclosed\n');
      await assert.rejects(importOpenApi('x-api', join(dir, 'bad.yaml')), /cannot parse bad\.yaml/);
      await assert.rejects(importOpenApi('x-api', join(dir, 'none.yaml')), /no such file/);
    });

    it('refuses a YAML alias bomb quickly', async () => {
      const lines = ['openapi: 3.0.0', 'a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
      for (let i = 0; i < 8; i++) lines.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`);
      await writeFile(join(dir, 'bomb.yaml'), lines.join('\n') + '\n');
      const t0 = Date.now();
      await assert.rejects(importOpenApi('x-api', join(dir, 'bomb.yaml')), /cannot parse bomb\.yaml/);
      assert.ok(Date.now() - t0 < 2000);
    });
  });

  describe('provider.json: the sandbox is the simulator, the contract\'s address production\'s', () => {
    let root: string;
    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'wasl-openapi-envs-'));
    });
    afterEach(() => rm(root, { recursive: true, force: true }));

    it('writes the servers\' first address as production and the generated simulator\'s loopback address as the sandbox', async () => {
      const imported = await importOpenApi('moi-civil-registry', CIVIL);
      const plan = planProvider(root, 'moi-civil-registry', imported);
      assert.deepEqual(plan.provider.environments, { sandbox: { endpoint: 'http://127.0.0.1:8096/moi-civil-registry' }, production: { endpoint: 'https://civil-registry.moi.gov.sy/api/v1' } });
      assert.ok(plan.notes.some((n) => /^environments\.sandbox\.endpoint: http:\/\/127\.0\.0\.1:8096\/moi-civil-registry \(the simulator/.test(n)), plan.notes.join('\n'));
      assert.ok(plan.notes.some((n) => n.startsWith("environments.production.endpoint: https://civil-registry.moi.gov.sy/api/v1 (the contract's address")), plan.notes.join('\n'));
      assert.ok(plan.notes.some((n) => n.includes('the contract lists 2 addresses')), plan.notes.join('\n'));
      await writeProvider(root, 'moi-civil-registry', imported);
      const def = loadProvider('moi-civil-registry', root).definition;
      assert.equal(def.environments.sandbox.endpoint, 'http://127.0.0.1:8096/moi-civil-registry');
      assert.equal(def.environments.production?.endpoint, 'https://civil-registry.moi.gov.sy/api/v1');
      assert.deepEqual(def.security, { apiKey: { in: 'header', name: 'X-Api-Key', valueEnv: 'MOI_CIVIL_REGISTRY_API_KEY' } });
    });

    it('leaves production out when the servers are placeholders, and says it must be filled in', async () => {
      const doc = join(root, 'api.json');
      for (const url of ['http://localhost:8080/api', 'https://api.example.com/v1', 'http://127.0.0.1:8099/api']) {
        await writeFile(doc, JSON.stringify({ openapi: '3.0.3', info: { title: 'T', version: '1' }, servers: [{ url }], paths: { '/x': { get: { operationId: 'getX', responses: { '200': { description: 'ok' } } } } } }));
        const plan = planProvider(join(root, 'providers'), 'moi-test', await importOpenApi('moi-test', doc));
        assert.deepEqual(plan.provider.environments, { sandbox: { endpoint: 'http://127.0.0.1:8096/moi-test' } }, url);
        assert.ok(plan.notes.some((n) => n.includes(`the contract's address ${url} is a placeholder`) && n.includes('environments.production is left out')), plan.notes.join('\n'));
      }
      // A real address after a placeholder one is production's.
      await writeFile(doc, JSON.stringify({ openapi: '3.0.3', info: { title: 'T', version: '1' }, servers: [{ url: 'http://localhost:8080' }, { url: 'https://api.moi.gov.sy/v1' }], paths: {} }));
      assert.deepEqual(planProvider(join(root, 'providers'), 'moi-test', await importOpenApi('moi-test', doc)).provider.environments.production, { endpoint: 'https://api.moi.gov.sy/v1' });
    });
  });
});
