/**
 * What monitoring/ ships for the ecosystem — Prometheus alert rules and a Grafana dashboard —
 * parses, and names only metrics the hub serves (hub/metrics.ts), so a renamed metric cannot
 * silently blind an alert or a panel. Every alert links its runbook (docs/runbooks.md), and
 * Prometheus' own `promtool check rules` accepts the file (skipped with a line when promtool is
 * not installed — Debian's `prometheus` package — unless WASL_REQUIRE_SERVICES=1).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { HubMetrics } from '../hub/metrics';
import { testHub } from './helpers';

const DIR = resolve(__dirname, '..', 'monitoring');
const RULES = join(DIR, 'prometheus-alerts.yml');

/** Metric names in a PromQL expression (identifiers followed by a selector, a range or nothing). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(wasl_[a-z0-9_]+)/g)].map((m) => m[1]!);
}

describe('monitoring: alert rules and dashboard', () => {
  let served: Set<string>;

  before(async () => {
    const hub = await testHub();
    try {
      const m = new HubMetrics({ store: hub.store, bus: hub.bus, catalogue: hub.catalogue });
      const text = await m.registry.metrics();
      m.close();
      served = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!])));
    } finally {
      await hub.close();
    }
  });

  it('the alert rules cover targets down, error rate, breakers, SLA breaches, dead letters, refused services and a WAL that does not shrink, on metrics the hub serves', () => {
    const doc = parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string; annotations: { summary: string } }> }> };
    const rules = doc.groups.flatMap((g) => g.rules);
    assert.deepEqual(rules.map((r) => r.alert).sort(), ['WaslCircuitBreakerOpen', 'WaslDeadLettersGrowing', 'WaslPaymentAnomaly', 'WaslProviderContractCheckFailing', 'WaslProviderContractDrift', 'WaslProviderErrorRate', 'WaslQueueBacklog', 'WaslServiceRefused', 'WaslSlaBreaches', 'WaslSqliteWalLarge', 'WaslTargetDown']);
    for (const r of rules) {
      assert.ok(r.annotations.summary, r.alert);
      const names = metricsIn(r.expr);
      assert.ok(names.length > 0 || r.alert === 'WaslTargetDown', r.alert);
      for (const n of names) assert.ok(served.has(n), `${r.alert}: ${n} is not served`);
    }
    const down = rules.find((r) => r.alert === 'WaslTargetDown')!;
    assert.match(down.expr, /\bup\{job=~"wasl-gateway\|wasl-worker"\} == 0/);
  });

  it('every alert has a runbook_url whose section is in docs/runbooks.md, and every section an alert', () => {
    const doc = parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; annotations: { runbook_url?: string } }> }> };
    const rules = doc.groups.flatMap((g) => g.rules);
    const runbooks = readFileSync(resolve(__dirname, '..', 'docs', 'runbooks.md'), 'utf8');
    const sections = [...runbooks.matchAll(/^## (\S+)$/gm)].map((m) => m[1]!);
    for (const r of rules) {
      const url = r.annotations.runbook_url ?? '';
      assert.match(url, /^https:\/\/\S+\/docs\/runbooks\.md#[a-z]+$/, `${r.alert}: runbook_url`);
      assert.equal(url.split('#')[1], r.alert.toLowerCase(), `${r.alert}: its anchor`);
      assert.ok(sections.includes(r.alert), `${r.alert}: no section in docs/runbooks.md`);
      const body = runbooks.slice(runbooks.indexOf(`## ${r.alert}\n`)).split(/\n## /)[0]!;
      for (const part of ['**Means**', '**Check**', '**Do**']) assert.ok(body.includes(part), `${r.alert}: its runbook lacks ${part}`);
    }
    assert.deepEqual(sections.sort(), rules.map((r) => r.alert).sort());
  });

  it('promtool check rules accepts the alert rules', async function () {
    this.timeout(30_000);
    const run = promisify(execFile);
    const found = await run('promtool', ['--version']).then(() => true, () => false);
    if (!found) {
      if (process.env.WASL_REQUIRE_SERVICES === '1') throw new Error('promtool is required (WASL_REQUIRE_SERVICES=1) but not installed: apt-get install prometheus');
      console.log('      (skipped: promtool not installed; Debian: apt-get install prometheus)');
      return this.skip();
    }
    const { stdout } = await run('promtool', ['check', 'rules', RULES]);
    assert.match(stdout, /SUCCESS: 11 rules found/);
  });

  it('the Grafana dashboard parses and each panel queries metrics the hub serves', () => {
    const d = JSON.parse(readFileSync(join(DIR, 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    assert.ok(d.panels.length >= 10);
    for (const p of d.panels) for (const t of p.targets) for (const n of metricsIn(t.expr)) assert.ok(served.has(n), `${p.title}: ${n} is not served`);
  });
});
