/**
 * Documents handed over (hub/gateway/routes/documents.ts, docs/documents.md): a 1 MB document put
 * into the hub's own document store and cited by an order's results, as a flow would, then
 * downloaded byte-exact by the owning channel only, audited, handed out by signed link, its code
 * verified, and purged at the end of its retention — on SQLite, and on PostgreSQL when reachable.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { get as httpGet } from 'node:http';
import type { Order } from '../../../contracts/types';
import { AuditKeys } from '../../../hub/audit/keys';
import type { ChannelKey } from '../../../hub/config';
import { retentionFor } from '../../../hub/documents/retention';
import type { DocumentHandle } from '../../../connectors/documents';
import { contentDisposition } from '../../../hub/gateway/routes/documents';
import { PostgresStore } from '../../../hub/store/postgres';
import { SqliteStore } from '../../../hub/store/sqlite';
import { auth, CITIZEN, dropSchema, KEYS, newKey, PG_URL, requirePostgres, testHub, validRequest, type TestHub } from '../../helpers';

const MB = 1024 * 1024;
const DAY = 86_400_000;
const system = { kind: 'system' as const, id: 'test' };

interface Backend {
  name: string;
  open(): Promise<{ hub: TestHub; corrupt(documentId: string, index: number): Promise<void> }>;
  before?(this: Mocha.Context): Promise<void>;
  after?(): Promise<void>;
}

const PG_SCHEMA = `wasl_documents_${process.pid}`;

const backends: Backend[] = [
  {
    name: 'SQLite',
    async open() {
      const store = new SqliteStore({ file: ':memory:', audit: { keys: AuditKeys.ephemeral(), shards: 16 } });
      const hub = await testHub({}, store);
      return {
        hub,
        async corrupt(id, index) {
          const db = store.database.db;
          const row = db.prepare<[string, number], { ct: Buffer }>('SELECT ct FROM document_chunks WHERE document_id = ? AND idx = ?').get(id, index)!;
          row.ct[100] = row.ct[100]! ^ 0xff;
          db.prepare('UPDATE document_chunks SET ct = ? WHERE document_id = ? AND idx = ?').run(row.ct, id, index);
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    async before() {
      await requirePostgres(this);
      await dropSchema(PG_SCHEMA);
    },
    async after() {
      await dropSchema(PG_SCHEMA).catch(() => undefined);
    },
    async open() {
      const store = await PostgresStore.open({ connectionString: PG_URL, schema: PG_SCHEMA, audit: { keys: AuditKeys.ephemeral(), shards: 16 } });
      const hub = await testHub({}, store);
      return {
        hub,
        async corrupt(id, index) {
          await store.pool.query('UPDATE document_chunks SET ct = set_byte(ct, 100, get_byte(ct, 100) # 255) WHERE document_id = $1 AND idx = $2', [id, index]);
        },
      };
    },
  },
];

for (const backend of backends) {
  describe(`gateway: documents (${backend.name})`, function () {
    let hub: TestHub;
    let corrupt: (id: string, index: number) => Promise<void>;
    let order: Order;
    let content: Buffer;
    let handle: DocumentHandle;

    before(async function () {
      await backend.before?.call(this);
    });
    after(async () => {
      await backend.after?.();
    });

    const submit = async (channel: ChannelKey = KEYS.centre) => {
      const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(channel), 'idempotency-key': newKey() }, payload: validRequest() });
      assert.equal(res.statusCode, 202, res.body);
      return res.json<Order>();
    };

    /** What a flow does: the connector streams the document into the store, the order's results cite it. */
    const deliver = async (o: Order, docs: DocumentHandle[]) => {
      await hub.store.transition(o.id, { to: 'submitted-to-provider', actor: system });
      return hub.store.transition(o.id, {
        to: 'provider-completed',
        actor: system,
        patch: { results: { documents: docs.map((d) => ({ type: 'individual-extract', reference: d.id, issuedAt: new Date().toISOString(), issuer: 'civil-registry', sha256: d.sha256 })), providerReferences: [] } },
      });
    };

    const put = (orderId: string, bytes: Buffer) =>
      hub.documents!.put(bytes, { mediaType: 'application/pdf', filename: 'إخراج قيد.pdf', origin: { orderId, provider: 'civil-registry', operation: 'GetIndividualExtract', source: 'body' }, maxBytes: 10 * MB });

    const download = (o: Order, doc: string, channel: ChannelKey = KEYS.centre) => hub.app.inject({ url: `/v1/orders/${o.id}/documents/${doc}`, headers: auth(channel) });

    beforeEach(async () => {
      ({ hub, corrupt } = await backend.open());
      order = await submit();
      content = randomBytes(MB);
      handle = await put(order.id, content);
      order = await deliver(order, [handle]);
    });
    afterEach(() => hub.close());

    it('hands the owning channel its document byte for byte, with safe headers, and audits the download', async () => {
      const res = await download(order, handle.id);
      assert.equal(res.statusCode, 200, res.body.slice(0, 500));
      assert.ok(res.rawPayload.equals(content), 'byte-exact');
      assert.equal(res.headers['content-type'], 'application/pdf');
      assert.equal(Number(res.headers['content-length']), MB);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.match(String(res.headers['content-disposition']), /^attachment; filename="[^"]+\.pdf"; filename\*=UTF-8''%D8%A5/);
      const sha = createHash('sha256').update(content).digest();
      assert.equal(res.headers.etag, `"${sha.toString('hex')}"`);
      assert.equal(res.headers['repr-digest'], `sha-256=:${sha.toString('base64')}:`);

      const records = (await hub.store.readAudit({ subject: order.id, limit: 100 })).filter((r) => r.kind === 'document.download');
      assert.equal(records.length, 1);
      assert.equal(records[0]!.actor, 'channel:centre-dam-01');
      assert.deepEqual(records[0]!.data, { document: handle.id, sha256: sha.toString('hex'), via: 'channel' });
      const all = JSON.stringify(await hub.store.readAudit({ limit: 1000 }));
      for (const v of [CITIZEN.nationalNumber, CITIZEN.fullNameLatin, CITIZEN.phone]) assert.ok(!all.includes(v), 'no citizen data in the audit trail');
    });

    it('answers 404 to another channel — a back office with readAll included — and for a document the order does not cite', async () => {
      for (const other of [KEYS.expat, KEYS.backOffice]) {
        const res = await download(order, handle.id, other);
        assert.equal(res.statusCode, 404);
        assert.equal(res.json().code, 'order-not-found');
        const link = await hub.app.inject({ method: 'POST', url: `/v1/orders/${order.id}/documents/${handle.id}/link`, headers: auth(other) });
        assert.equal(link.statusCode, 404);
      }
      // Stored for this order, but not cited by its results.
      const uncited = await put(order.id, randomBytes(2048));
      assert.equal((await download(order, uncited.id)).json().code, 'document-not-found');
      // Cited by this order, but another order's document.
      const mine = await deliver(await submit(), [handle]);
      const res = await download(mine, handle.id);
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().code, 'document-not-found');
      assert.equal((await download(order, 'doc_not-a-document')).statusCode, 404);
      // None of these was a download.
      for (const o of [order, mine]) assert.equal((await hub.store.readAudit({ subject: o.id, limit: 1000 })).filter((r) => r.kind === 'document.download').length, 0);
    });

    it('serves a signed link without a key until it expires, audited as the link; refuses a tampered or expired one', async () => {
      const res = await hub.app.inject({ method: 'POST', url: `/v1/orders/${order.id}/documents/${handle.id}/link`, headers: auth(KEYS.centre), payload: { ttlSeconds: 600 } });
      assert.equal(res.statusCode, 200, res.body);
      const { url, expiresAt } = res.json<{ url: string; expiresAt: string }>();
      const left = Date.parse(expiresAt) - Date.now();
      assert.ok(left > 590_000 && left <= 600_000, `expires in ten minutes (${left} ms)`);
      const path = new URL(url).pathname;
      const got = await hub.app.inject({ url: path });
      assert.equal(got.statusCode, 200, got.body.slice(0, 300));
      assert.ok(got.rawPayload.equals(content));
      const records = (await hub.store.readAudit({ subject: order.id, limit: 100 })).filter((r) => r.kind === 'document.download');
      assert.deepEqual(
        records.map((r) => [r.actor, r.data.via]),
        [['link:centre-dam-01', 'link']],
      );

      // Another byte of the MAC, or of the payload: not this hub's link.
      const token = path.split('/').pop()!;
      const [payload, mac] = token.split('.') as [string, string];
      const flip = (s: string) => `${s.slice(0, 5)}${s[5] === 'A' ? 'B' : 'A'}${s.slice(6)}`;
      for (const bad of [`${payload}.${flip(mac)}`, `${flip(payload)}.${mac}`, 'garbage']) {
        const r = await hub.app.inject({ url: `/v1/documents/links/${bad}` });
        assert.equal(r.statusCode, 404, bad);
        assert.equal(r.json().code, 'link-invalid');
      }
      // Signed two hours ago for ten minutes.
      const old = hub.documents!.signLink(handle.id, KEYS.centre.channel, 600, new Date(Date.now() - 2 * 3_600_000));
      const expired = await hub.app.inject({ url: `/v1/documents/links/${old}` });
      assert.equal(expired.statusCode, 410);
      assert.equal(expired.json().code, 'link-expired');
      // A link another channel signed for this order's document (never given out by the gateway): the order is not that channel's.
      const foreign = hub.documents!.signLink(handle.id, KEYS.expat.channel, 600);
      assert.equal((await hub.app.inject({ url: `/v1/documents/links/${foreign}` })).json().code, 'link-invalid');
      // Over a day: refused before signing.
      const long = await hub.app.inject({ method: 'POST', url: `/v1/orders/${order.id}/documents/${handle.id}/link`, headers: auth(KEYS.centre), payload: { ttlSeconds: 86_401 } });
      assert.equal(long.statusCode, 400);
      assert.equal((await hub.store.readAudit({ subject: order.id, limit: 1000 })).filter((r) => r.kind === 'document.download').length, 1);
    });

    it('verifies a printed code publicly, answering only valid, issuer, date and type, and limits guessing per address', async () => {
      const code = await hub.documents!.issueVerification(handle.id, { type: 'individual-extract', issuer: 'civil-registry' });
      const res = await hub.app.inject({ url: `/v1/documents/verify/${code.toLowerCase()}` });
      assert.equal(res.statusCode, 200);
      const body = res.json<Record<string, unknown>>();
      assert.deepEqual(Object.keys(body).sort(), ['issuedAt', 'issuer', 'type', 'valid']);
      assert.equal(body.valid, true);
      assert.equal(body.issuer, 'civil-registry');
      assert.equal(body.type, 'individual-extract');
      assert.deepEqual((await hub.app.inject({ url: '/v1/documents/verify/AAAA-BBBB-CCCC' })).json(), { valid: false });
      let status = 200;
      for (let i = 0; i < 12 && status === 200; i++) status = (await hub.app.inject({ url: '/v1/documents/verify/AAAA-BBBB-CCCD' })).statusCode;
      assert.equal(status, 429, 'ten checks a minute per address');
    });

    it('after the retention, answers 410 with the hash, which stays in the store, and the code stays valid', async () => {
      const code = await hub.documents!.issueVerification(handle.id);
      const info = await hub.documents!.info(handle.id);
      // The hub's default retention: 90 days.
      assert.ok(Math.abs(Date.parse(info!.expiresAt!) - (Date.parse(info!.createdAt) + 90 * DAY)) < 1000);
      const r = await hub.documents!.purgeExpired(new Date(Date.now() + 91 * DAY));
      assert.ok(r.purged >= 1);
      const res = await download(order, handle.id);
      assert.equal(res.statusCode, 410);
      assert.equal(res.json().code, 'document-purged');
      assert.equal(res.json().sha256, handle.sha256);
      const after = await hub.documents!.info(handle.id);
      assert.equal(after?.sha256, createHash('sha256').update(content).digest('hex'));
      assert.ok(after?.purgedAt);
      assert.equal((await hub.app.inject({ url: `/v1/documents/verify/${code}` })).json().valid, true);
      const link = await hub.app.inject({ method: 'POST', url: `/v1/orders/${order.id}/documents/${handle.id}/link`, headers: auth(KEYS.centre) });
      assert.equal(link.statusCode, 410);
    });

    it('aborts the response when a chunk fails its check mid-stream, rather than ending it cleanly', async () => {
      await corrupt(handle.id, 2);
      const base = await hub.app.listen({ host: '127.0.0.1', port: 0 });
      const r = await new Promise<{ status: number; length: number; received: number; complete: boolean }>((resolve, reject) => {
        const req = httpGet(`${base}/v1/orders/${order.id}/documents/${handle.id}`, { headers: auth(KEYS.centre) }, (res) => {
          let received = 0;
          res.on('data', (c: Buffer) => (received += c.length));
          const done = () => resolve({ status: res.statusCode ?? 0, length: Number(res.headers['content-length']), received, complete: res.complete });
          res.on('error', done);
          res.on('close', done);
        });
        req.on('error', reject);
      });
      assert.equal(r.status, 200);
      assert.equal(r.length, MB);
      assert.equal(r.complete, false, 'the transfer is cut, not ended');
      assert.ok(r.received < MB, `received ${r.received} of ${MB}`);
      // A first chunk that fails is refused before any byte: a 500 with a problem.
      await corrupt(handle.id, 0);
      const first = await download(order, handle.id);
      assert.equal(first.statusCode, 500);
      assert.equal(first.json().code, 'document-unreadable');
    });
  });
}

describe('documents: retention and names', () => {
  it("takes a service's retention, else the fallback, else none (the store's default)", () => {
    assert.deepEqual(retentionFor({ documents: { retentionDays: 30 } }), { retentionDays: 30 });
    assert.deepEqual(retentionFor({}, 90), { retentionDays: 90 });
    assert.deepEqual(retentionFor(undefined), {});
    assert.throws(() => retentionFor({ documents: { retentionDays: 0 } }), RangeError);
  });

  it('never pastes a provider file name into Content-Disposition', () => {
    const h = contentDisposition({ id: 'doc_x', mediaType: 'application/pdf', filename: 'a"b\r\nX-Evil: 1;.pdf' });
    assert.ok(!/[\r\n]/.test(h));
    assert.match(h, /^attachment; filename="a_b__X-Evil_ 1_.pdf"; filename\*=UTF-8''a%22b%0D%0AX-Evil%3A%201%3B.pdf$/);
    assert.match(contentDisposition({ id: 'doc_x', mediaType: 'application/pdf' }), /filename="doc_x\.pdf"/);
  });
});
