/**
 * Every kind of bad input named in the foundation issue: each gets a clear 4xx problem in
 * English and Arabic, with pointers where something in the body is at fault, and changes nothing.
 */
import assert from 'node:assert/strict';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { auth, KEYS, newKey, testHub, validRequest, type TestHub } from '../../helpers';

type Problem = { type: string; title: string; titleAr: string; status: number; code: string; errors?: Array<{ pointer: string; detail: string; detailAr?: string }> };

describe('gateway: bad input', () => {
  let hub: TestHub;
  before(async () => {
    hub = await testHub({ bodyLimit: 256 * 1024 });
  });
  after(() => hub.close());

  async function stored(): Promise<number> {
    return (await hub.store.outboxPending(1_000_000)).length;
  }

  /** Sends `req`, checks the problem document, and that nothing was stored. */
  async function refused(req: InjectOptions, status: number, code: string, pointers?: string[]): Promise<Problem> {
    const before = await stored();
    const res: LightMyRequestResponse = await hub.app.inject(req);
    assert.equal(res.statusCode, status, res.body);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    const p = res.json<Problem>();
    assert.equal(p.code, code);
    assert.equal(p.type, `urn:wasl:problem:${code}`);
    assert.equal(p.status, status);
    assert.ok(p.title.length > 0);
    assert.match(p.titleAr, /[\u0600-\u06FF]/, 'an Arabic title');
    if (pointers) assert.deepEqual(p.errors?.map((e) => e.pointer).sort(), [...pointers].sort());
    for (const e of p.errors ?? []) assert.match(e.detailAr ?? '', /[\u0600-\u06FF]/);
    assert.doesNotMatch(res.body, /\n\s+at |node_modules|\.ts:/, 'no stack trace');
    assert.equal(await stored(), before, 'nothing stored');
    return p;
  }

  const post = (payload: unknown, headers: Record<string, string> = {}): InjectOptions => ({
    method: 'POST',
    url: '/v1/orders',
    headers: { ...auth(KEYS.centre), 'idempotency-key': newKey(), 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

  it('malformed JSON', async () => {
    await refused(post('{"service": "civil-registry-individual-extract",'), 400, 'invalid-json');
    await refused(post(''), 400, 'invalid-json');
  });

  it('a prototype-poisoning body', async () => {
    await refused(post('{"service":"x","__proto__":{"admin":true}}'), 400, 'invalid-json');
  });

  it('a body over the size limit', async () => {
    const big = validRequest({ fields: { purpose: 'employment', copies: 1, padding: 'x'.repeat(300 * 1024) } });
    await refused(post(big), 413, 'body-too-large');
  });

  it('a body that is not JSON', async () => {
    await refused(post('<order/>', { 'content-type': 'application/xml' }), 415, 'unsupported-media-type');
  });

  it('wrong types, with a pointer to each', async () => {
    const body = validRequest() as unknown as Record<string, any>;
    body.applicant.birthDate = 19880921;
    body.fields = 'employment';
    body.delivery = { method: 'domestic-post', governorate: 'atlantis', city: 'دمشق', address: 'somewhere 1' };
    await refused(post(body), 400, 'validation-failed', ['/applicant/birthDate', '/delivery/governorate', '/fields']);
  });

  it('missing required members', async () => {
    const body = validRequest() as unknown as Record<string, any>;
    delete body.applicant.phone;
    delete body.delivery;
    await refused(post(body), 400, 'validation-failed', ['/applicant/phone', '/delivery']);
  });

  it('an unknown service', async () => {
    await refused(post(validRequest({ service: 'moon-landing-permit' })), 400, 'unknown-service', ['/service']);
  });

  it('a field the service does not allow, and a service field of the wrong kind', async () => {
    await refused(post(validRequest({ fields: { purpose: 'employment', copies: 1, favouriteColour: 'blue' } })), 400, 'validation-failed', ['/fields/favouriteColour']);
    await refused(post(validRequest({ fields: { purpose: 'bribery', copies: 9 } })), 400, 'validation-failed', ['/fields/purpose', '/fields/copies']);
  });

  it('a top-level member the order does not have', async () => {
    await refused(post({ ...validRequest(), status: 'delivered' }), 400, 'validation-failed', ['/status']);
  });

  it('an invalid national number', async () => {
    for (const n of ['0123456789', '012345678901', '0123456789a', '٠١٢٣٤٥٦٧٨٩٠', ' 01234567890']) {
      const body = validRequest();
      body.applicant.nationalNumber = n;
      await refused(post(body), 400, 'validation-failed', ['/applicant/nationalNumber']);
    }
  });

  it('a name in mixed scripts or with control characters', async () => {
    for (const name of ['ريم Reem', 'ريم\u0000الأحمد', 'ريم\u202Eالأحمد', 'ريم\nالأحمد', 'ريم\u200Bالأحمد', 'ريم 7', '  ']) {
      const body = validRequest();
      body.applicant.fullName.ar = name;
      await refused(post(body), 400, 'validation-failed', ['/applicant/fullName/ar']);
    }
    const latin = validRequest();
    latin.applicant.fullName.latin = 'Reem ريم';
    await refused(post(latin), 400, 'validation-failed', ['/applicant/fullName/latin']);
    const address = validRequest({ delivery: { method: 'domestic-post', governorate: 'damascus', city: 'دمشق', address: 'شارع\u0007بغداد' } });
    await refused(post(address), 400, 'validation-failed', ['/delivery/address']);
  });

  it('a birth date in the future', async () => {
    const body = validRequest();
    body.applicant.birthDate = '2999-01-01';
    await refused(post(body), 400, 'validation-failed', ['/applicant/birthDate']);
  });

  it('a delivery method, channel kind or governorate the service does not offer', async () => {
    const intl = validRequest({ service: 'vehicle-ownership-statement', fields: { plateNumber: '1234', plateGovernorate: 'homs' }, delivery: { method: 'international-post', country: 'DE', city: 'Berlin', address: 'Hauptstraße 5' } });
    await refused(post(intl), 422, 'service-not-offered', ['/delivery/method']);
    const where = validRequest({ service: 'vehicle-ownership-statement', fields: { plateNumber: '1234', plateGovernorate: 'homs' }, centre: { code: 'RAQ-01', governorate: 'raqqa' } });
    await refused(post(where), 422, 'service-not-offered', ['/centre/governorate']);
    const expat = post(validRequest({ service: 'vehicle-ownership-statement', centre: undefined, fields: { plateNumber: '1234', plateGovernorate: 'homs' }, delivery: { method: 'electronic' } }), auth(KEYS.expat));
    await refused(expat, 422, 'service-not-offered', ['/service']);
  });

  it('a beneficiary where the service takes none, and a centre missing from a centre', async () => {
    const body = validRequest({
      service: 'no-criminal-record-certificate',
      fields: { purpose: 'travel', copies: 1 },
      beneficiary: { relation: 'child', person: { nationalNumber: '01234567890', fullName: { ar: 'سامي' }, fatherName: 'خالد', motherName: 'سلمى', birthDate: '2015-01-01' } },
    });
    await refused(post(body), 400, 'validation-failed', ['/beneficiary']);
    await refused(post(validRequest({ centre: undefined })), 400, 'validation-failed', ['/centre']);
  });

  it('a missing, malformed or reused idempotency key', async () => {
    const noKey = post(validRequest());
    delete (noKey.headers as Record<string, string>)['idempotency-key'];
    await refused(noKey, 400, 'idempotency-key-missing');
    await refused(post(validRequest(), { 'idempotency-key': 'with space' }), 400, 'idempotency-key-invalid');
    await refused(post(validRequest(), { 'idempotency-key': 'x'.repeat(256) }), 400, 'idempotency-key-invalid');
    const key = newKey();
    assert.equal((await hub.app.inject(post(validRequest(), { 'idempotency-key': key }))).statusCode, 202);
    await refused(post(validRequest({ fields: { purpose: 'travel', copies: 1 } }), { 'idempotency-key': key }), 409, 'idempotency-key-reused');
  });

  it('a channel key that is missing, wrong, malformed or not scoped to the service', async () => {
    const req = post(validRequest());
    delete (req.headers as Record<string, string>).authorization;
    const p = await hub.app.inject(req);
    assert.equal(p.statusCode, 401);
    assert.equal(p.headers['www-authenticate'], 'Bearer realm="wasl"');
    await refused(req, 401, 'unauthenticated');
    await refused(post(validRequest(), { authorization: 'Bearer not-a-key-of-anyone-at-all' }), 401, 'unauthenticated');
    await refused(post(validRequest(), { authorization: `Basic ${KEYS.centre.key}` }), 401, 'unauthenticated');
    await refused(post(validRequest(), { authorization: `Bearer ${KEYS.centre.key} extra` }), 401, 'unauthenticated');
    const scoped = post(validRequest({ service: 'no-criminal-record-certificate', centre: undefined, fields: { purpose: 'travel' }, delivery: { method: 'electronic' } }), auth(KEYS.portal));
    await refused(scoped, 403, 'service-not-permitted');
  });

  it('every endpoint but health refuses a request without a key', async () => {
    for (const [method, url] of [
      ['GET', '/v1/orders'],
      ['GET', '/v1/orders/ord_01ARZ3NDEKTSV4RRFFQ69G5FAV'],
      ['POST', '/v1/orders/ord_01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel'],
      ['GET', '/v1/services'],
      ['POST', '/v1/orders'],
    ] as const) {
      await refused({ method, url }, 401, 'unauthenticated');
    }
  });

  it('cancelling an order in a state that cannot be cancelled, or that does not exist', async () => {
    const id = (await hub.app.inject(post(validRequest()))).json<{ id: string }>().id;
    await hub.store.transition(id, { to: 'rejected', actor: { kind: 'provider', id: 'moi' }, reason: { code: 'person-not-found' } });
    await refused({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: auth(KEYS.centre) }, 409, 'illegal-transition');
    await refused({ method: 'POST', url: '/v1/orders/ord_01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel', headers: auth(KEYS.centre) }, 404, 'order-not-found');
    await refused({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: auth(KEYS.centre), payload: { reason: 'because' } }, 400, 'validation-failed', ['/reason']);
  });

  it('malformed ids, query parameters and cursors', async () => {
    await refused({ url: '/v1/orders/12345', headers: auth(KEYS.centre) }, 400, 'validation-failed');
    await refused({ url: '/v1/orders?limit=1000', headers: auth(KEYS.centre) }, 400, 'validation-failed');
    await refused({ url: '/v1/orders?status=lost', headers: auth(KEYS.centre) }, 400, 'validation-failed');
    await refused({ url: '/v1/orders?cursor=bm9wZQ', headers: auth(KEYS.centre) }, 400, 'validation-failed');
    await refused({ url: '/v1/orders?sort=desc', headers: auth(KEYS.centre) }, 400, 'validation-failed');
  });

  it('an unknown route', async () => {
    await refused({ url: '/v2/everything', headers: auth(KEYS.centre) }, 404, 'not-found');
  });
});
