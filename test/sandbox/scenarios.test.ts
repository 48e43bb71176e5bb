/** Scenario files (contracts/scenario.schema.json): the seed services' own, and mistakes named with file and pointer. */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenarios, ScenarioError } from '../../sandbox/runner/scenarios';
import { FLOWS_DIR } from '../helpers';

describe('sandbox: scenario files', () => {
  it('reads the seed services\' scenarios, each valid', () => {
    const civil = loadScenarios('civil-registry-individual-extract', FLOWS_DIR);
    assert.ok(civil.length >= 2);
    assert.ok(civil.some((s) => s.scenario.expect.status === 'delivered'));
    assert.ok(loadScenarios('vehicle-ownership-statement', FLOWS_DIR).length >= 2);
    assert.deepEqual(loadScenarios('no-such-service', FLOWS_DIR), [], 'a service without scenarios has none');
  });

  it('names the file and the pointer of a mistake', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasl-scen-'));
    try {
      cpSync(join(FLOWS_DIR, 'vehicle-ownership-statement'), join(dir, 'vehicle-ownership-statement'), { recursive: true });
      writeFileSync(join(dir, 'vehicle-ownership-statement', 'scenarios', 'zz-bad.json'), JSON.stringify({ name: 'bad', order: {}, payment: { mode: 'pay-later' }, expect: { status: 'finished' } }));
      assert.throws(
        () => loadScenarios('vehicle-ownership-statement', dir),
        (e: unknown) => e instanceof ScenarioError && /zz-bad\.json/.test(e.message) && /\/payment\/mode/.test(e.message) && /\/expect\/status/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
