import assert from 'node:assert/strict';
import { BusinessRefusal, TimeoutError } from '../../connectors/errors';
import { RecordedStepFailure, runStepOnce } from '../../hub/journal';
import { SqliteStore } from '../../hub/store/sqlite';

describe('step journal', () => {
  let store: SqliteStore;
  beforeEach(() => {
    store = new SqliteStore({ file: ':memory:' });
  });
  afterEach(() => store.close());

  it('calls once, then returns the recorded result without calling again', async () => {
    let calls = 0;
    const call = async (c: { idempotencyKey: string; attempt: number }) => {
      calls++;
      return { reference: 'MOI-1', key: c.idempotencyKey, attempt: c.attempt };
    };
    const first = await runStepOnce(store, 'ord_1', 'moi.issue', call);
    const again = await runStepOnce(store, 'ord_1', 'moi.issue', call);
    assert.equal(calls, 1);
    assert.equal(first.replayed, false);
    assert.equal(again.replayed, true);
    assert.deepEqual(again.value, { reference: 'MOI-1', key: 'ord_1:moi.issue', attempt: 1 });
  });

  it('calls again, with the same key, a step that started and has no outcome (a crash or a transient failure)', async () => {
    const keys: string[] = [];
    await assert.rejects(
      runStepOnce(store, 'ord_2', 'moi.issue', async (c) => {
        keys.push(c.idempotencyKey);
        throw new TimeoutError('total', 100);
      }),
      TimeoutError,
    );
    await store.journalStart('ord_2', 'moi.issue'); // a delivery that died mid-call
    const r = await runStepOnce(store, 'ord_2', 'moi.issue', async (c) => {
      keys.push(c.idempotencyKey);
      return c.attempt;
    });
    assert.deepEqual(keys, ['ord_2:moi.issue', 'ord_2:moi.issue']);
    assert.equal(r.value, 3);
  });

  it('records a final failure once and throws it again without calling', async () => {
    let calls = 0;
    const refuse = async () => {
      calls++;
      throw new BusinessRefusal('person-not-found', 'E404', 'لا يوجد', { provider: 'moi', operation: 'Issue' });
    };
    await assert.rejects(runStepOnce(store, 'ord_3', 'moi.issue', refuse), BusinessRefusal);
    await assert.rejects(runStepOnce(store, 'ord_3', 'moi.issue', refuse), (e) => e instanceof RecordedStepFailure && e.code === 'business-refusal' && e.recorded.reason === 'person-not-found');
    assert.equal(calls, 1);
    const entry = await store.journalGet('ord_3', 'moi.issue');
    assert.equal(JSON.stringify(entry).includes('لا يوجد'), false, 'the provider text is not journaled');
  });
});
