/**
 * What monitoring/ ships for the ecosystem — Prometheus alert rules and a Grafana dashboard —
 * parses, and names only metrics the hub serves (hub/metrics.ts), so a renamed metric cannot
 * silently blind an alert or a panel.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { HubMetrics } from '../hub/metrics';
import { testHub } from './helpers';

const DIR = resolve(__dirname, '..', 'monitoring');

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

  it('the alert rules cover error rate, breakers, SLA breaches, dead letters and refused services, on metrics the hub serves', () => {
    const doc = parse(readFileSync(join(DIR, 'prometheus-alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string; annotations: { summary: string } }> }> };
    const rules = doc.groups.flatMap((g) => g.rules);
    assert.deepEqual(rules.map((r) => r.alert).sort(), ['WaslCircuitBreakerOpen', 'WaslDeadLettersGrowing', 'WaslPaymentAnomaly', 'WaslProviderContractCheckFailing', 'WaslProviderContractDrift', 'WaslProviderErrorRate', 'WaslQueueBacklog', 'WaslServiceRefused', 'WaslSlaBreaches']);
    for (const r of rules) {
      assert.ok(r.annotations.summary, r.alert);
      const names = metricsIn(r.expr);
      assert.ok(names.length > 0, r.alert);
      for (const n of names) assert.ok(served.has(n), `${r.alert}: ${n} is not served`);
    }
  });

  it('the Grafana dashboard parses and each panel queries metrics the hub serves', () => {
    const d = JSON.parse(readFileSync(join(DIR, 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    assert.ok(d.panels.length >= 10);
    for (const p of d.panels) for (const t of p.targets) for (const n of metricsIn(t.expr)) assert.ok(served.has(n), `${p.title}: ${n} is not served`);
  });
});
