/**
 * Reports of a sandbox run (results.ts): JUnit XML for CI (Jenkins, GitLab), one self-contained
 * HTML page for people, and the lines the console prints. All three read the same RunReport and
 * nothing else, so what CI counts, what the page shows and what the terminal says agree.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeAttr, escapeText } from '../../connectors/xml/escape';
import type { Difference, Exchange, RunReport, ScenarioResult, ServiceResult } from './results';

// escapeText/escapeAttr refuse what XML 1.0 cannot carry; a report must never fail to be written
// because a scenario name or a provider's answer held a stray control character, so those are
// dropped first. With the `u` flag the surrogate range only matches unpaired halves, which
// would otherwise reach the file as U+FFFD or break a strict reader.
const XML_INVALID = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF\uD800-\uDFFF]/gu;
const xmlText = (s: string): string => escapeText(s.replace(XML_INVALID, ''));
const xmlAttr = (s: string): string => escapeAttr(s.replace(XML_INVALID, ''));

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const html = (s: string): string => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

/** Compact JSON; values come from decoded JSON, but a report must not throw on one that is not. */
function json(value: unknown, indent?: number): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value, null, indent) ?? String(value);
  } catch {
    return String(value);
  }
}

const seconds = (ms: number, digits: number): string => (ms / 1000).toFixed(digits);
const totalMs = (s: ServiceResult): number => s.scenarios.reduce((sum, r) => sum + r.durationMs, 0);
const countPassed = (s: ServiceResult): number => s.scenarios.filter((r) => r.passed).length;
const describeDifference = (d: Difference): string => `${d.what}: expected ${json(d.expected)}, got ${json(d.actual)}`;
// A failed scenario with neither an error nor a difference still has to count as something in CI.
const isError = (r: ScenarioResult): boolean => !r.passed && r.error !== undefined;
const isFailure = (r: ScenarioResult): boolean => !r.passed && r.error === undefined;

/** Keeps attribute values readable in CI summaries; the element body carries everything. */
function clip(s: string, max = 300): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** The recordings a scenario was answered from, for people: ` (moi-civil-registry GetPerson/found, …)`. */
function recordingsOf(r: ScenarioResult): string {
  const used = [...new Set(r.exchanges.filter((x) => x.recording).map((x) => `${x.provider} ${x.recording}`))];
  return used.length ? ` (${used.join(', ')})` : '';
}

// ——— JUnit XML ———

function junitCase(r: ScenarioResult): string {
  const attrs = `classname="${xmlAttr(r.service)}" name="${xmlAttr(r.scenario)}" file="${xmlAttr(r.file)}" time="${seconds(r.durationMs, 3)}"`;
  const body: string[] = [];
  if (isError(r)) {
    const error = r.error ?? '';
    body.push(`      <error message="${xmlAttr(clip(error.split('\n')[0] ?? ''))}" type="error">${xmlText(error)}</error>`);
  } else if (isFailure(r)) {
    const [first] = r.differences;
    const more = r.differences.length > 1 ? ` (and ${r.differences.length - 1} more)` : '';
    const message = first ? clip(describeDifference(first)) + more : 'scenario failed';
    body.push(`      <failure message="${xmlAttr(message)}" type="expectation">${xmlText(r.differences.map(describeDifference).join('\n'))}</failure>`);
  }
  const out = [`order: ${r.orderId ?? '(none)'}`, `status: ${r.status ?? '(none)'}`, `timeline: ${r.timeline.map((e) => e.status).join(' → ')}`];
  if (r.behaviour) out.push(`behaviour: ${r.behaviour}${recordingsOf(r)}`);
  body.push(`      <system-out>${xmlText(out.join('\n'))}</system-out>`);
  return `    <testcase ${attrs}>\n${body.join('\n')}\n    </testcase>`;
}

function junitSuite(s: ServiceResult, timestamp: string): string {
  const attrs = [
    `name="${xmlAttr(s.service)}"`,
    `tests="${s.scenarios.length}"`,
    `failures="${s.scenarios.filter(isFailure).length}"`,
    `errors="${s.scenarios.filter(isError).length}"`,
    `skipped="0"`,
    `time="${seconds(totalMs(s), 3)}"`,
    `timestamp="${xmlAttr(timestamp)}"`,
  ].join(' ');
  const props: string[] = [];
  if (s.certificate) props.push(`      <property name="certificate" value="${xmlAttr(s.certificate.digest)}"/>`);
  if (s.notCertified !== undefined) props.push(`      <property name="notCertified" value="${xmlAttr(s.notCertified)}"/>`);
  const properties = props.length ? `    <properties>\n${props.join('\n')}\n    </properties>\n` : '';
  return `  <testsuite ${attrs}>\n${properties}${s.scenarios.map(junitCase).join('\n')}\n  </testsuite>`;
}

/** JUnit XML as Jenkins and GitLab read it: a testsuite per service, a testcase per scenario. */
export function junitXml(report: RunReport): string {
  const all = report.services.flatMap((s) => s.scenarios);
  // Totals are counted from what is written, so the attributes always match the elements.
  const head = `<testsuites name="wasl sandbox" tests="${all.length}" failures="${all.filter(isFailure).length}" errors="${all.filter(isError).length}" time="${seconds(report.durationMs, 3)}">`;
  const suites = report.services.map((s) => junitSuite(s, report.startedAt));
  return ['<?xml version="1.0" encoding="UTF-8"?>', head, ...suites, '</testsuites>', ''].join('\n');
}

// ——— HTML ———

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Tahoma,sans-serif;margin:0 auto;padding:1.5em;max-width:1200px;color:#1d2430;background:#f6f7f9}
h1{font-size:1.5em;margin:0 0 .4em}h2{font-size:1.2em;margin:0}
.totals{display:flex;flex-wrap:wrap;gap:1.5em;margin:0 0 1.5em;padding:.8em 1em;background:#fff;border:1px solid #d9dde3;border-radius:6px}
.totals b{font-size:1.2em}
section.service{background:#fff;border:1px solid #d9dde3;border-radius:6px;margin:0 0 1.5em;padding:1em}
.names{color:#4a5463;margin:.2em 0}.cert{margin:.2em 0 .8em}.cert.ok{color:#1a7f37}.cert.no{color:#9a6700}
details.scenario{border:1px solid #d9dde3;border-left:6px solid #2da44e;border-radius:4px;margin:.6em 0;padding:.4em .8em}
details.scenario.fail{border-left-color:#cf222e;background:#fff5f5}
details.scenario>summary{cursor:pointer;font-weight:600}
.badge{display:inline-block;min-width:3.2em;text-align:center;border-radius:3px;color:#fff;font-size:.8em;padding:.1em .4em;margin-right:.5em}
.badge.pass{background:#2da44e}.badge.fail{background:#cf222e}
.meta{color:#4a5463;font-weight:normal;font-size:.9em}
table{border-collapse:collapse;width:100%;margin:.4em 0 .8em;font-size:.9em}
th,td{border:1px solid #d9dde3;padding:.25em .5em;text-align:left;vertical-align:top}th{background:#eef1f4}
table.diff td.expected{background:#e6ffec}table.diff td.actual{background:#ffebe9}
pre{margin:0;white-space:pre-wrap;word-break:break-word;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
pre.error{background:#ffebe9;padding:.5em;border-radius:4px}
h3{font-size:1em;margin:.8em 0 .2em}.muted{color:#6e7781}
`;

const pre = (value: unknown): string => `<pre>${html(json(value, 2))}</pre>`;
const table = (cls: string, head: string[], rows: string[]): string =>
  `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;

function exchangeRows(x: Exchange): string {
  const key = x.idempotencyKey === undefined ? '' : html(x.idempotencyKey) + (x.repeated ? ' <span class="muted">(repeated)</span>' : '');
  const violations = x.violations?.length ? `<ul>${x.violations.map((v) => `<li>${html(v)}</li>`).join('')}</ul>` : '';
  const cells = [x.at, x.provider, x.operation ?? ''].map((c) => `<td>${html(c)}</td>`).join('');
  const row = `<tr>${cells}<td>${html(`${x.method} ${x.path}`)}</td><td>${key}</td><td>${html(x.outcome)}${x.recording ? ` <span class="muted">(recorded: ${html(x.recording)})</span>` : ''}</td><td>${x.status === undefined ? '' : x.status === 0 ? 'none' : x.status}</td><td>${violations}</td></tr>`;
  const response = x.response === undefined ? '<p class="muted">no response body</p>' : pre(x.response);
  return `${row}<tr><td colspan="8"><details><summary>input and response</summary><h3>Input</h3>${pre(x.input)}<h3>Response</h3>${response}</details></td></tr>`;
}

function scenarioBlock(r: ScenarioResult): string {
  const state = r.passed ? 'pass' : 'fail';
  const meta = [r.file, `${seconds(r.durationMs, 2)} s`, `order ${r.orderId ?? '—'}`, `status ${r.status ?? '—'}`, ...(r.behaviour ? [`${r.behaviour} behaviour${recordingsOf(r)}`] : [])].map(html).join(' · ');
  const parts = [
    `<details class="scenario ${state}"${r.passed ? '' : ' open'}>`,
    `<summary><span class="badge ${state}">${r.passed ? 'PASS' : 'FAIL'}</span><span dir="auto">${html(r.scenario)}</span> <span class="meta">${meta}</span></summary>`,
  ];
  if (r.error !== undefined) parts.push(`<h3>Error</h3><pre class="error">${html(r.error)}</pre>`);
  if (r.differences.length) {
    const rows = r.differences.map((d) => `<tr><td>${html(d.what)}</td><td class="expected">${pre(d.expected)}</td><td class="actual">${pre(d.actual)}</td></tr>`);
    parts.push(`<h3>Differences</h3>${table('diff', ['What', 'Expected', 'Actual'], rows)}`);
  }
  if (r.timeline.length) {
    const rows = r.timeline.map((e) => {
      const m = e.reason?.message;
      const message = m ? ` <span class="muted">${html(m.en)} · <span dir="rtl" lang="ar">${html(m.ar)}</span></span>` : '';
      const reason = e.reason ? html(e.reason.code) + message : '';
      const cells = [String(e.seq), e.at, e.from ? `${e.from} → ${e.status}` : e.status, e.event, `${e.actor.kind}:${e.actor.id}`].map((c) => `<td>${html(c)}</td>`);
      return `<tr>${cells.join('')}<td>${reason}</td></tr>`;
    });
    parts.push(`<h3>Timeline</h3>${table('timeline', ['Seq', 'At', 'Status', 'Event', 'Actor', 'Reason'], rows)}`);
  }
  if (r.exchanges.length) {
    const head = ['At', 'Provider', 'Operation', 'Request', 'Idempotency key', 'Outcome', 'HTTP', 'Violations'];
    parts.push(`<h3>Exchanges</h3>${table('exchanges', head, r.exchanges.map(exchangeRows))}`);
  }
  parts.push('</details>');
  return parts.join('\n');
}

function certification(s: ServiceResult): string {
  if (s.certificate) return `<p class="cert ok">Certified ${html(s.certificate.certifiedAt)}, digest <code>${html(s.certificate.digest.slice(0, 12))}</code>${s.certificate.signedBy ? `, signed by key <code>${html(s.certificate.signedBy)}</code>` : ', unsigned'}</p>`;
  if (s.notCertified !== undefined) return `<p class="cert no">Not certified: ${html(s.notCertified)}</p>`;
  return '';
}

function serviceSection(s: ServiceResult): string {
  // Failures first, so nobody has to scroll past green to find what to fix; sort is stable.
  const ordered = [...s.scenarios].sort((a, b) => Number(a.passed) - Number(b.passed));
  return [
    `<section class="service">`,
    `<h2><code>${html(s.service)}</code> <span class="meta">${countPassed(s)}/${s.scenarios.length} passed</span></h2>`,
    `<p class="names">${html(s.names.en)} · <span dir="rtl" lang="ar">${html(s.names.ar)}</span></p>`,
    certification(s),
    ...ordered.map(scenarioBlock),
    `</section>`,
  ].join('\n');
}

/** One self-contained page (inline CSS, no script), readable offline or as a CI artifact. */
export function htmlReport(report: RunReport): string {
  const totals = [
    ['scenarios', String(report.scenarios)],
    ['passed', String(report.passed)],
    ['failed', String(report.failed)],
    ['duration', `${seconds(report.durationMs, 2)} s`],
    ['started', report.startedAt],
  ].map(([label, value]) => `<div>${html(label ?? '')} <b>${html(value ?? '')}</b></div>`);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>wasl sandbox: ${report.failed ? `${report.failed} failed` : 'all passed'}</title>`,
    `<style>${CSS}</style></head>`,
    '<body>',
    '<h1>wasl sandbox run</h1>',
    `<div class="totals">${totals.join('')}</div>`,
    ...report.services.map(serviceSection),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

// ——— Files and terminal ———

/** Writes junit.xml and report.html into `dir` (created if missing) and returns their paths. */
export function writeReports(report: RunReport, dir: string): { junit: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const paths = { junit: join(dir, 'junit.xml'), html: join(dir, 'report.html') };
  writeFileSync(paths.junit, junitXml(report), 'utf8');
  writeFileSync(paths.html, htmlReport(report), 'utf8');
  return paths;
}

/** Plain lines for the console: failures with their reasons, a line per service, the totals. */
export function summaryLines(report: RunReport): string[] {
  const lines: string[] = [];
  for (const s of report.services) {
    for (const r of s.scenarios) {
      if (r.passed) continue;
      lines.push(`✗ ${r.service} › ${r.scenario}`);
      if (r.error !== undefined) lines.push(...r.error.split('\n').map((l) => `    ${l}`));
      lines.push(...r.differences.map((d) => `    ${describeDifference(d)}`));
    }
  }
  for (const s of report.services) {
    const cert = s.certificate ? `, certified ${s.certificate.digest.slice(0, 12)}${s.certificate.signedBy ? ` (signed by key ${s.certificate.signedBy})` : ''}` : s.notCertified !== undefined ? `, not certified: ${s.notCertified}` : '';
    lines.push(`${s.service}: ${countPassed(s)}/${s.scenarios.length} passed${cert}`);
  }
  lines.push(`${report.scenarios} scenarios, ${report.passed} passed, ${report.failed} failed in ${seconds(report.durationMs, 2)} s`);
  return lines;
}
