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

  it('seals a day once and lists the seals by day', async () => {
    assert.deepEqual(await store.auditSeals(), []);
    const seal = { day: '2031-05-02', lastSeq: 7, hash: 'b'.repeat(64), sealedAt: '2031-05-03T00:00:05.000Z' };
    assert.equal(await store.sealAuditDay(seal), true);
    assert.equal(await store.sealAuditDay({ ...seal, hash: 'c'.repeat(64) }), false, 'a day is sealed once');
    assert.equal(await store.sealAuditDay({ ...seal, day: '2031-05-01', lastSeq: 3 }), true);
    assert.deepEqual(await store.auditSeals(), [{ ...seal, day: '2031-05-01', lastSeq: 3 }, seal]);
  });
}
