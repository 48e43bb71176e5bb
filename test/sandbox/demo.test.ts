/**
 * npm run demo: a realistic mix of orders from the three channels, every one of them accepted by
 * the gateway and completed (payment, the ministry, delivery), with the seed citizens as applicants.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Catalogue } from '../../hub/catalogue';
import { citizen } from '../../sandbox/data/citizens';
import { planOrders } from '../../sandbox/demo';
import { FLOWS_DIR } from '../helpers';

const REPO = resolve(__dirname, '..', '..');

describe('npm run demo', function () {
  this.timeout(120_000);

  it('plans a mix over every service, the three channels, every delivery method, cash and online payment, by seed citizens', () => {
    const services = Catalogue.load(FLOWS_DIR).offered('sandbox');
    const plan = planOrders(services, 144, 7);
    assert.equal(new Set(plan.map((p) => p.service.definition.code)).size, services.length);
    assert.deepEqual([...new Set(plan.map((p) => p.channel))].sort(), ['centre', 'expat-portal', 'portal']);
    assert.deepEqual([...new Set(plan.map((p) => p.body.delivery.method))].sort(), ['counter', 'domestic-post', 'electronic', 'international-post']);
    assert.ok(plan.some((p) => p.body.paymentMethod === 'cash-at-counter'));
    assert.ok(plan.every((p) => citizen(p.body.applicant.nationalNumber)?.fullNameAr === p.body.applicant.fullName.ar));
    assert.deepEqual(planOrders(services, 144, 7), plan, 'the same seed, the same orders');
  });

  it('submits them through the gateway and every one completes', () => {
    const r = spawnSync(process.execPath, ['-r', join(REPO, 'bin', 'register.js'), join(REPO, 'sandbox', 'demo.ts'), '--orders', '60'], { cwd: REPO, encoding: 'utf8', timeout: 110_000, env: { ...process.env, WASL_LOG_LEVEL: 'silent' } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /accepted 60 in/);
    assert.match(r.stdout, /60 of 60 orders completed; the demo took [0-9.]+ s/);
    assert.match(r.stdout, /^moi-civil-registry\s+\d+\s+\d+/m);
    assert.doesNotMatch(r.stderr, /MaxListenersExceeded/);
  });

  it('--failures: orders meeting an outage longer than their retries end dead-lettered, for an operator, and the demo still succeeds', () => {
    const r = spawnSync(process.execPath, ['-r', join(REPO, 'bin', 'register.js'), join(REPO, 'sandbox', 'demo.ts'), '--orders', '24', '--failures', '2'], { cwd: REPO, encoding: 'utf8', timeout: 110_000, env: { ...process.env, WASL_LOG_LEVEL: 'silent' } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /22 of 24 orders completed/);
    assert.match(r.stdout, /2 orders met a ministry outage longer than their retries, on purpose: dead-lettered/);
  });
});
