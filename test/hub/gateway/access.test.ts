import assert from 'node:assert/strict';
import type { ChannelKey } from '../../../hub/config';
import { ChannelAuthenticator } from '../../../hub/gateway/auth';
import { auth, KEYS, newKey, testHub, validRequest, setProviderCallbackSecrets } from '../../helpers';

describe('gateway: channel access', () => {
  it('identifies a channel by its key, and nobody by a near miss', () => {
    const a = new ChannelAuthenticator(Object.values(KEYS));
    assert.equal(a.identify(KEYS.portal.key)?.channel, 'portal');
    assert.equal(a.identify(KEYS.portal.key.slice(0, -1)), undefined);
    assert.equal(a.identify(`${KEYS.portal.key}x`), undefined);
    assert.equal(a.identify(''), undefined);
  });

  it('limits each channel\'s rate on its own, with Retry-After', async () => {
    const hub = await testHub({ channelKeys: [{ ...KEYS.centre, rateLimit: 3 }, KEYS.portal] });
    try {
      const get = (k: ChannelKey) => hub.app.inject({ url: '/v1/services', headers: auth(k) });
      for (let i = 0; i < 3; i++) assert.equal((await get(KEYS.centre)).statusCode, 200);
      const limited = await get(KEYS.centre);
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.json().code, 'rate-limited');
      assert.ok(Number(limited.headers['retry-after']) > 0);
      // Another channel is not affected, nor is health.
      assert.equal((await get(KEYS.portal)).statusCode, 200);
      for (let i = 0; i < 5; i++) assert.equal((await hub.app.inject({ url: '/health' })).statusCode, 200);
      // A refused submission writes nothing.
      const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: validRequest() });
      assert.equal(res.statusCode, 429);
      assert.equal((await hub.store.outboxPending(100)).length, 0);
    } finally {
      await hub.close();
    }
  });

  it('accepts every example of /openapi.json as a real order', async () => {
    const hub = await testHub();
    try {
      const doc = (await hub.app.inject({ url: '/openapi.json' })).json();
      assert.equal(doc.openapi, '3.1.0');
      for (const path of ['/v1/orders', '/v1/orders/{id}', '/v1/orders/{id}/cancel', '/v1/services', '/health', '/ready']) assert.ok(doc.paths[path], path);
      const examples = doc.paths['/v1/orders'].post.requestBody.content['application/json'].examples;
      assert.deepEqual(Object.keys(examples).sort(), hub.catalogue.all().map((s) => s.definition.code).sort());
      for (const [code, ex] of Object.entries<{ value: unknown }>(examples)) {
        const res = await hub.app.inject({ method: 'POST', url: '/v1/orders', headers: { ...auth(KEYS.centre), 'idempotency-key': newKey() }, payload: ex.value as object });
        assert.equal(res.statusCode, 202, `${code}: ${res.body}`);
      }
      const docs = await hub.app.inject({ url: '/docs/' });
      assert.equal(docs.statusCode, 200);
      assert.match(docs.headers['content-type'] as string, /text\/html/);
    } finally {
      await hub.close();
    }
  });

  it('in production, shows the API description to channels only and serves no docs page', async () => {
    const restore = setProviderCallbackSecrets();
    const hub = await testHub({ env: 'production', secret: 'x'.repeat(32) }).finally(restore);
    try {
      assert.equal((await hub.app.inject({ url: '/openapi.json' })).statusCode, 401);
      assert.equal((await hub.app.inject({ url: '/openapi.json', headers: auth(KEYS.centre) })).statusCode, 200);
      assert.equal((await hub.app.inject({ url: '/docs/' })).statusCode, 404);
    } finally {
      await hub.close();
    }
  });
});
