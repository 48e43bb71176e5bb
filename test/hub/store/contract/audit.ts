/** The AuditStore role: the audit trail, its operator actions and the seals of its days. */
import assert from 'node:assert/strict';
import type { AuditStore, OrderStore } from '../../../../hub/store';
import { create, type BackEnd } from './fixtures';

export function auditStoreContract({ open, close }: BackEnd<AuditStore & OrderStore>): void {
  let store: AuditStore & OrderStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await close(store);
  });

  it('lists the operator actions of the audit trail, newest first, page by page, and nothing else', async () => {
    const at = (i: number) => new Date(Date.parse('2031-05-01T08:00:00.000Z') + i * 1000).toISOString();
    await create(store);
    await store.appendAudit([
      { at: at(1), kind: 'operator.action', actor: 'operator:maha', subject: 'editor', data: { action: 'login', address: '10.0.0.5' } },
      { at: at(2), kind: 'provider.call', actor: 'system:connector', subject: 'provider:sy-epay', data: { outcome: 'success' } },
      { at: at(3), kind: 'operator.action', actor: 'operator:(unknown)', subject: 'editor', data: { action: 'login-failed' } },
      { at: at(4), kind: 'operator.action', actor: 'operator:maha', subject: 'editor', data: { action: 'deploy', tabs: ['t1'], deploymentType: 'flows' } },
    ]);
    const all = await store.listOperatorActions({ limit: 10 });
    assert.deepEqual(all.map((r) => [r.actor, r.data.action]), [['operator:maha', 'deploy'], ['operator:(unknown)', 'login-failed'], ['operator:maha', 'login']]);
    assert.ok(all.every((r) => r.kind === 'operator.action'));
    assert.deepEqual(all[0]!.data, { action: 'deploy', tabs: ['t1'], deploymentType: 'flows' });
    assert.ok(all[0]!.seq > all[1]!.seq && typeof all[0]!.seq === 'number');
    const first = await store.listOperatorActions({ limit: 2 });
    const next = await store.listOperatorActions({ beforeSeq: first.at(-1)!.seq, limit: 2 });
    assert.deepEqual([...first, ...next].map((r) => r.seq), all.map((r) => r.seq), 'pages neither skip nor repeat');
    assert.deepEqual(await store.listOperatorActions({ beforeSeq: all.at(-1)!.seq, limit: 2 }), []);
  });

  it('reads the trail in seq order by window and subject, every order step included', async () => {
    const order = await create(store);
    await store.transition(order.id, { to: 'cancelled', actor: { kind: 'system', id: 't' } });
    const at = new Date(Date.now() + 60_000).toISOString();
    await store.appendAudit([{ at, kind: 'operator.action', actor: 'operator:maha', subject: order.id, data: { action: 'open-order' } }]);
    const records = await store.readAudit({ subject: order.id, limit: 10 });
    assert.deepEqual(records.map((r) => [r.kind, r.data.event ?? r.data.action]), [['order.step', 'order.received'], ['order.step', 'order.cancelled'], ['operator.action', 'open-order']]);
    assert.deepEqual(records.map((r) => r.seq), [...records.map((r) => r.seq)].sort((a, b) => a - b));
    assert.deepEqual((await store.readAudit({ afterSeq: records[1]!.seq, limit: 10 })).map((r) => r.seq), [records[2]!.seq]);
    assert.deepEqual((await store.readAudit({ from: new Date(at), limit: 10 })).map((r) => r.seq), [records[2]!.seq]);
    assert.equal((await store.readAudit({ to: new Date(at), limit: 10 })).length, 2, 'half-open');
    assert.equal((await store.readAudit({ limit: 1 })).length, 1);
  });

  it('keeps the heads of its shards, a copy of each seal once, and reads the chains in order', async () => {
    assert.deepEqual(await store.auditSeals(), []);
    assert.deepEqual(await store.auditHeads(), []);
    await create(store);
    await store.appendAudit([{ at: new Date().toISOString(), kind: 'operator.action', actor: 'operator:maha', subject: 'editor', data: { action: 'login' } }]);
    const heads = await store.auditHeads();
    assert.deepEqual(heads.map((h) => h.shard)[0], 0, "operator actions' shard first");
    const chains = await store.readAuditChains({ limit: 100 });
    assert.deepEqual(chains.map((r) => [r.shard, r.shardSeq]), [...chains].sort((a, b) => a.shard - b.shard || a.shardSeq - b.shardSeq).map((r) => [r.shard, r.shardSeq]));
    for (const h of heads) assert.equal(chains.filter((r) => r.shard === h.shard).at(-1)!.hash, h.hash, 'each head is its shard\'s last record');
    assert.deepEqual(await store.readAuditChains({ after: { shard: chains[0]!.shard, shardSeq: chains[0]!.shardSeq }, limit: 100 }), chains.slice(1));
    const seal = { format: 1 as const, n: 1, at: '2031-05-03T00:00:05.000Z', heads, prev: '0'.repeat(64), signature: { keyId: 'k', value: 'v' } };
    assert.equal(await store.addAuditSeal(seal), true);
    assert.equal(await store.addAuditSeal({ ...seal, at: '2031-05-03T00:00:06.000Z' }), false, 'a seal number is taken once');
    assert.equal(await store.addAuditSeal({ ...seal, n: 2 }), true);
    assert.deepEqual(await store.auditSeals(), [seal, { ...seal, n: 2 }]);
    assert.deepEqual(await store.readLegacyAudit({ limit: 10 }), [], 'no records before the keyed chains');
  });
}
