/** `wasl service new`: a draft service scaffolded from a provider's contract. */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalogue } from '../../hub/catalogue';
import { flowFileText } from '../../hub/runtime/flow-file';
import type { FlowNode } from '../../hub/runtime/node-types';
import { scaffoldService, ScaffoldError } from '../../sandbox/scaffold/scaffold';
import { proposeInput, proposeOutput, unreviewedProposals } from '../../sandbox/scaffold/proposals';
import { loadScenarios } from '../../sandbox/runner/scenarios';
import { FLOWS_DIR, testHub } from '../helpers';

describe('sandbox: scaffolding a service', () => {
  let flowsDir: string;
  beforeEach(() => {
    flowsDir = join(mkdtempSync(join(tmpdir(), 'wasl-scaffold-')), 'flows');
    mkdirSync(flowsDir);
    cpSync(join(FLOWS_DIR, 'shared.json'), join(flowsDir, 'shared.json'));
  });
  afterEach(() => rmSync(join(flowsDir, '..'), { recursive: true, force: true }));

  it('writes a valid draft definition, a staged flow wired to the operation, and a valid first scenario', () => {
    const r = scaffoldService({ code: 'birth-certificate', provider: 'moi-civil-registry', names: { ar: 'بيان ولادة', en: 'Birth certificate' }, flowsDir });
    assert.equal(r.operation, 'IssueIndividualExtract');
    const cat = Catalogue.load(flowsDir);
    const def = cat.get('birth-certificate')!.definition;
    assert.equal(def.lifecycle, 'draft');
    assert.deepEqual(def.provider, { code: 'moi-civil-registry', operation: 'IssueIndividualExtract' });
    const text = readFileSync(join(flowsDir, 'birth-certificate', 'flow.json'), 'utf8');
    assert.doesNotMatch(text, /\{\{/, 'no placeholder left');
    assert.doesNotMatch(text, /vehicle|mot-/, 'nothing of the template\'s origin');
    const flow = JSON.parse(text) as Array<Record<string, unknown>>;
    const ids = flow.map((n) => n.id);
    assert.equal(new Set(ids).size, ids.length, 'ids unique');
    const call = flow.find((n) => n.type === 'wasl-call')!;
    assert.equal(call.operation, 'IssueIndividualExtract');
    assert.equal(call.provider, 'provider-moi-civil-registry', 'the existing shared config node');
    const mapIn = flow.find((n) => n.type === 'wasl-map' && n.schema === 'input')!;
    // Proposed from the order where a name fits, else from a field added to the definition; each marked for review.
    assert.match(String(mapIn.expression), /"nationalNumber": payload\.applicant\.nationalNumber \/\* wasl:proposed: nationalNumber is the applicant's national number \*\//);
    assert.match(String(mapIn.expression), /"applicantName": payload\.applicant\.fullName\.ar \/\* wasl:proposed: applicantName is the applicant's full name in Arabic \(read past the word applicant\)/);
    assert.match(String(mapIn.expression), /"purpose": payload\.fields\.purpose \/\* wasl:proposed: nothing in the order is purpose/);
    assert.deepEqual(def.fields.required, ['purpose', 'copies']);
    assert.deepEqual(def.fields.examples, [{ purpose: 'official', copies: 1 }]);
    const mapOut = flow.find((n) => n.type === 'wasl-map' && n.schema !== 'input')!;
    assert.match(String(mapOut.expression), /"reference": payload\.extractReference \/\* wasl:proposed: extractReference reads as the reference/);
    assert.match(String(mapOut.expression), /"issuedAt": payload\.issuedAt/);
    assert.deepEqual(unreviewedProposals(flow).map((m) => m.count), [5, 2]);
    // One order-in node per stage (the file lists nodes by id: flow-file.ts).
    assert.deepEqual(
      flow.filter((n) => n.type === 'wasl-order-in').map((n) => (n.types as string[]).join()).sort(),
      ['order.received', 'order.paid', 'order.submitted-to-provider', 'order.provider-completed', 'order.returned', 'order.rejected,order.failed,order.cancelled'].sort(),
    );
    assert.equal(text, flowFileText(flow as FlowNode[]), 'written as the editor\'s Deploy writes it');
    const scenarios = loadScenarios('birth-certificate', flowsDir);
    const happy = scenarios.find((s) => s.scenario.name.startsWith('happy path'));
    assert.deepEqual(happy?.scenario.expect.calls, { 'moi-civil-registry': { IssueIndividualExtract: 1 } });
    // One refusal scenario per refusal the provider's error rules declare, each valid against the scenario schema.
    const refused = scenarios.filter((s) => s.scenario.expect.status === 'refunded').map((s) => [s.scenario.providers?.['moi-civil-registry']?.IssueIndividualExtract?.fault?.code, s.scenario.expect.reason]);
    assert.deepEqual(refused.sort(), [['ALREADY_ISSUED', 'already-issued'], ['EVENT_NOT_REGISTERED', 'event-not-registered'], ['PERSON_NOT_FOUND', 'person-not-found'], ['RECORD_SEALED', 'record-sealed']]);
  });

  it('starts in the runtime: the flow loads, its order-in nodes subscribe, and no node reports an error', async function () {
    this.timeout(30_000);
    scaffoldService({ code: 'birth-certificate', provider: 'moi-civil-registry', flowsDir });
    const hub = await testHub({ flowsDir }, undefined, { runtime: true, watchEveryMs: 0 });
    try {
      await hub.startBackground();
      assert.equal(hub.workers.count, 1, 'one subscription for the service');
      assert.deepEqual(hub.logs.lines.filter((l) => /"level":"(error|fatal)"/.test(l)), []);
    } finally {
      await hub.close();
    }
  });

  it('adds the provider\'s config node to flows/shared.json when it is not there', () => {
    writeFileSync(join(flowsDir, 'shared.json'), '[]\n');
    scaffoldService({ code: 'vehicle-history', provider: 'mot-vehicle-registry', flowsDir });
    const shared = JSON.parse(readFileSync(join(flowsDir, 'shared.json'), 'utf8')) as Array<Record<string, unknown>>;
    assert.deepEqual(shared.map((n) => [n.id, n.type, n.code]), [['provider-mot-vehicle-registry', 'wasl-provider', 'mot-vehicle-registry']]);
  });

  it('refuses an existing service, an unknown operation, a bad code', () => {
    scaffoldService({ code: 'birth-certificate', provider: 'moi-civil-registry', flowsDir });
    assert.throws(() => scaffoldService({ code: 'birth-certificate', provider: 'moi-civil-registry', flowsDir }), ScaffoldError);
    assert.throws(() => scaffoldService({ code: 'other-one', provider: 'moi-civil-registry', operation: 'Nope', flowsDir }), /has no operation Nope: it has IssueIndividualExtract/);
    assert.throws(() => scaffoldService({ code: 'Bad Code', provider: 'moi-civil-registry', flowsDir }), /lower-case/);
  });

  describe('proposing the mappings', () => {
    const obj = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({ type: 'object', properties, required });

    it('takes known synonyms of the order\'s members, whatever their case and separators', () => {
      const r = proposeInput(obj({ SSN: { type: 'string' }, national_id: { type: 'string' }, personalCode: { type: 'string' }, DateOfBirth: { type: 'string', format: 'date' }, mothersName: { type: 'string' }, msisdn: { type: 'string' }, firstName: { type: 'string' }, surname: { type: 'string' } }));
      assert.deepEqual(
        Object.fromEntries(r.proposals.map((p) => [p.member, p.from])),
        {
          SSN: 'payload.applicant.nationalNumber',
          national_id: 'payload.applicant.nationalNumber',
          personalCode: 'payload.applicant.nationalNumber',
          DateOfBirth: 'payload.applicant.birthDate',
          mothersName: 'payload.applicant.motherName',
          msisdn: 'payload.applicant.phone',
          firstName: '$split(payload.applicant.fullName.ar, " ")[0]',
          surname: '$split(payload.applicant.fullName.ar, " ")[-1]',
        },
      );
      assert.deepEqual(r.fields, { properties: {}, required: [] });
    });

    it('respects the contract\'s types: a number, a date-time, a language enumeration; an enumeration of its own becomes a field', () => {
      const r = proposeInput({
        type: 'object',
        required: ['nid', 'birthDate', 'lang', 'status'],
        properties: { nid: { type: 'integer' }, birthDate: { type: 'string', format: 'date-time' }, lang: { $ref: '#/$defs/L' }, status: { type: 'string', enum: ['single', 'married'] } },
        $defs: { L: { type: 'string', enum: ['ar', 'en'] } },
      });
      const from = Object.fromEntries(r.proposals.map((p) => [p.member, p.from]));
      assert.equal(from.nid, '$number(payload.applicant.nationalNumber)');
      assert.equal(from.birthDate, 'payload.applicant.birthDate & "T00:00:00Z"');
      assert.equal(from.lang, 'payload.language');
      assert.equal(from.status, 'payload.fields.status');
      assert.deepEqual(r.fields.properties.status, { type: 'string', enum: ['single', 'married'] });
    });

    it('asks the citizen, as the service\'s fields, for what the order does not hold, nested members included, and leaves optional ones out', () => {
      const r = proposeInput(obj({ countryCode: { type: 'string', pattern: '^[A-Z]{2}$' }, vat: obj({ number: { type: 'string' } }), note: { type: 'string' } }, ['countryCode', 'vat']));
      assert.match(r.expression, /"countryCode": payload\.fields\.countryCode \/\* wasl:proposed/);
      assert.match(r.expression, /"vat": \{\n {4}"number": payload\.fields\.number \/\* wasl:proposed/);
      assert.doesNotMatch(r.expression, /note/);
      assert.deepEqual(r.fields.required, ['countryCode', 'number']);
    });

    it('never maps what the connector sets itself (a REST idempotency key)', () => {
      const r = proposeInput(obj({ headers: obj({ 'Idempotency-Key': { type: 'string' } }), path: obj({ nationalNumber: { type: 'string' } }) }));
      assert.doesNotMatch(r.expression, /Idempotency/);
      assert.deepEqual(r.proposals.map((p) => p.member), ['path.nationalNumber']);
    });

    it('the expression proposed is JSONata that evaluates on an order', async () => {
      const jsonata = (await import('jsonata')).default;
      const r = proposeInput(obj({ ssn: { type: 'string' }, applicantName: { type: 'string' }, givenName: { type: 'string' }, purpose: { type: 'string' } }));
      const order = { applicant: { nationalNumber: '01020304050', fullName: { ar: 'ريم خالد الأحمد' } }, fields: { purpose: 'travel' } };
      assert.deepEqual(await jsonata(r.expression).evaluate({ payload: order }), { ssn: '01020304050', applicantName: 'ريم خالد الأحمد', givenName: 'ريم', purpose: 'travel' });
    });

    it('takes the answer\'s reference as the document\'s and the provider\'s, the echoed key when it has none, and leaves a TODO when nothing fits', () => {
      const o = { service: 's-one', provider: 'p', operation: 'Op', inputMembers: ['ssn'] };
      const withRef = proposeOutput(obj({ person: obj({ name: { type: 'string' } }), certificateNumber: { type: 'string' }, id: { type: 'string' }, issuedAt: { type: 'string', format: 'date-time' } }), o);
      assert.deepEqual(withRef.proposals.map((p) => p.from), ['payload.certificateNumber', 'payload.certificateNumber']);
      assert.match(withRef.expression, /"issuedAt": payload\.issuedAt/);
      const echo = proposeOutput(obj({ person: obj({ ssn: { type: 'string' }, firstName: { type: 'string' } }) }), o);
      assert.equal(echo.proposals.find((p) => p.member === 'providerReferences[0].reference')?.from, 'payload.person.ssn');
      assert.match(echo.expression, /"issuedAt": \$now\(\)/);
      const none = proposeOutput(obj({ valid: { type: 'boolean' } }), o);
      assert.deepEqual(none.proposals.map((p) => p.member), ['data'], 'only its result data');
      assert.match(none.expression, /\$error\("TODO: map the reference in the answer"\)/);
    });

    it('proposes the answer of a check (no document reference) as typed result data, and none for a document', () => {
      const o = { service: 'vat-check', provider: 'p', operation: 'checkVat', inputMembers: ['vatNumber'] };
      const check = proposeOutput(obj({ vatNumber: { type: 'string' }, valid: { type: 'boolean' }, trader: obj({ name: { type: 'string' } }, []), hits: { type: 'array', items: { type: 'string' } } }), o);
      assert.deepEqual(check.result, { type: 'object', additionalProperties: false, properties: { vatNumber: { type: 'string' }, valid: { type: 'boolean' }, name: { type: 'string' } }, required: ['vatNumber', 'valid'] });
      assert.match(check.expression, /"data": \{\n {4}"vatNumber": payload\.vatNumber,\n {4}"valid": payload\.valid,\n {4}"name": payload\.trader\.name\n {2}\} \/\* wasl:proposed: the answer issues no document/);
      const document = proposeOutput(obj({ certificateNumber: { type: 'string' }, valid: { type: 'boolean' } }), o);
      assert.equal(document.result, undefined);
      assert.doesNotMatch(document.expression, /"data"/);
    });

    it('writes a retry scenario for a transient fault, and none for a permanent one', () => {
      const root = join(flowsDir, '..', 'providers');
      cpSync(join(FLOWS_DIR, '..', 'contracts', 'providers', 'moi-civil-registry'), join(root, 'moi-civil-registry'), { recursive: true });
      const file = join(root, 'moi-civil-registry', 'provider.json');
      const def = JSON.parse(readFileSync(file, 'utf8'));
      def.errors = { rules: [{ faultString: 'INVALID_INPUT', reason: 'invalid-input' }, { kind: 'transient', faultString: 'MS_UNAVAILABLE' }, { kind: 'permanent', faultCode: 'BAD_CONFIG' }] };
      writeFileSync(file, JSON.stringify(def));
      const r = scaffoldService({ code: 'vat-check', provider: 'moi-civil-registry', flowsDir, providersRoot: root });
      assert.deepEqual(r.scenarios, ['happy-path.json', 'refused-invalid-input.json', 'temporary-ms-unavailable.json']);
      const [temporary] = loadScenarios('vat-check', flowsDir).filter((s) => s.scenario.name.includes('temporary'));
      assert.deepEqual(temporary?.scenario.providers, { 'moi-civil-registry': { IssueIndividualExtract: { fault: { kind: 'soap-fault', code: 'MS_UNAVAILABLE', times: 1 } } } });
      assert.deepEqual(temporary?.scenario.expect.calls, { 'moi-civil-registry': { IssueIndividualExtract: 2 } });
      const refused = loadScenarios('vat-check', flowsDir).find((s) => s.scenario.expect.status === 'refunded');
      assert.equal(refused?.scenario.providers?.['moi-civil-registry']?.IssueIndividualExtract?.fault?.code, 'invalid-input', 'a rule on the fault\'s text is named by its reason');
    });
  });
});
