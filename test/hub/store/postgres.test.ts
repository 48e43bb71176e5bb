import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PostgresStore } from '../../../hub/store/postgres';
import type { Store } from '../../../hub/store';
import { auth, dropSchema, KEYS, newKey, PG_URL, requirePostgres, testHub, validRequest } from '../../helpers';
import { newOrder, storeContract } from './contract';

describe('store: PostgreSQL', function () {
  before(async function () {
    await requirePostgres(this);
  });

  const schemas: string[] = [];
  const open = async (): Promise<Store> => {
    const schema = `wasl_test_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return PostgresStore.open({ connectionString: PG_URL, schema });
  };
  after(async () => {
    for (const s of schemas) await dropSchema(s).catch(() => undefined);
  });

  describe('contract', () => {
    storeContract(open, (s) => s.close());
  });

  it('applies migrations once when several processes start together', async () => {
    const schema = `wasl_test_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open({ connectionString: PG_URL, schema })));
    const c = new Client({ connectionString: PG_URL });
    await c.connect();
    const { rows } = await c.query(`SELECT version FROM ${schema}.schema_migrations`);
    await c.end();
    assert.deepEqual(rows.map((r) => Number(r.version)).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    const { order } = await stores[0]!.createOrder(newOrder(), { channel: 'c', key: newKey(), requestHash: 'h' });
    assert.equal((await stores[3]!.getOrder(order.id))?.id, order.id);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('fails to open with a clear error when the server is not there', async () => {
    await assert.rejects(PostgresStore.open({ connectionString: 'postgres://postgres@127.0.0.1:1/none' }), /ECONNREFUSED|connect/);
  });
});

describe('gateway on PostgreSQL', function () {
  before(async function () {
    await requirePostgres(this);
  });

  it('accepts, reads, lists and cancels orders end to end', async () => {
    const schema = `wasl_test_${randomBytes(6).toString('hex')}`;
    const hub = await testHub({}, await PostgresStore.open({ connectionString: PG_URL, schema }));
    try {
      const key = newKey();
      const post = () => hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': key }, payload: validRequest() });
      const [a, b] = await Promise.all([post(), post()]);
      assert.equal(a.statusCode, 202);
      assert.equal(b.statusCode, 202);
      const id = a.json().id as string;
      assert.equal(b.json().id, id);
      assert.equal((await hub.app.inject({ url: `/v1/orders/${id}`, headers: auth(KEYS.centre) })).json().applicant.fullName.ar, 'هبة نزار القاسم');
      assert.deepEqual((await hub.app.inject({ url: '/v1/orders', headers: auth(KEYS.centre) })).json().items.map((o: { id: string }) => o.id), [id]);
      assert.equal((await hub.app.inject({ method: 'POST', url: `/v1/orders/${id}/cancel`, headers: auth(KEYS.centre) })).json().status, 'cancelled');
      assert.equal((await hub.app.inject({ url: '/ready' })).statusCode, 200);
    } finally {
      await hub.close();
      await dropSchema(schema);
    }
  });
});
