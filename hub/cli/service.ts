/**
 * `wasl service promote|retire|status`: a service's lifecycle, guarded by its certificate
 * (hub/lifecycle.ts, docs/release.md), read by the certificate reader `wasl` was given at start
 * and checked with the configuration's trust (WASL_CERT_TRUSTED_KEYS; always in production).
 * Every promotion and retirement is an audit record of the configured store, beside the service's
 * lifecycle file; `status` shows both, with whether the certificate holds and, when not, what
 * changed. Commands of the service made elsewhere (the sandbox's `service new`) are listed first.
 */
import { Command } from 'commander';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditRecord } from '../audit/chain';
import { loadConfig, type HubConfig } from '../config';
import { openStore } from '../store';
import {
  certificateTrust,
  gateAuditEntry,
  LifecycleError,
  lifecycleHistory,
  promote,
  retire,
  serviceHistory,
  serviceRoots,
  type CertificateReader,
  type CertificateTrust,
  type GateEvent,
  type LifecycleChange,
  type ServiceRoots,
} from '../lifecycle';
import { cliUser } from './args';

interface Context {
  config: HubConfig;
  roots: ServiceRoots;
  trust: CertificateTrust | undefined;
}

function context(): Context {
  const config = loadConfig(process.env);
  return { config, roots: serviceRoots(config.flowsDir, undefined, config.fulfilmentFile), trust: certificateTrust(config) };
}

/**
 * A lifecycle change into the audit trail of the hub's store (the one WASL_DATA_DIR or DATABASE_URL
 * names): who made the service live or retired it, when, and on which certificate.
 */
async function auditChange(config: HubConfig, code: string, change: LifecycleChange): Promise<void> {
  const store = await openStore(config);
  try {
    const action = change.lifecycle === 'live' ? 'promote' : 'retire';
    await store.appendAudit([gateAuditEntry(action, code, `operator:${change.by}`, change.at, { lifecycle: change.lifecycle, ...(change.digest ? { certificate: change.digest } : {}) })]);
  } finally {
    await store.close();
  }
}

/** The audit records of a service, oldest first (the gate actions among them); none when the store cannot be read, with why. */
async function auditOf(config: HubConfig, code: string): Promise<{ records: AuditRecord[]; unreadable?: string }> {
  let store;
  try {
    store = await openStore(config);
  } catch (err) {
    return { records: [], unreadable: (err as Error).message };
  }
  try {
    const records: AuditRecord[] = [];
    for (let afterSeq: number | undefined; ; ) {
      const page = await store.readAudit({ subject: `service:${code}`, limit: 500, ...(afterSeq !== undefined ? { afterSeq } : {}) });
      records.push(...page);
      if (page.length < 500) break;
      afterSeq = page.at(-1)!.seq;
    }
    return { records };
  } finally {
    await store.close();
  }
}

function lifecycleOf(code: string, roots: ServiceRoots): string | undefined {
  const f = join(roots.flowsDir, code, 'service.json');
  if (!existsSync(f)) return undefined;
  try {
    return String((JSON.parse(readFileSync(f, 'utf8')) as { lifecycle?: string }).lifecycle ?? 'draft');
  } catch {
    return 'unreadable';
  }
}

function servicesIn(roots: ServiceRoots): string[] {
  if (!existsSync(roots.flowsDir)) return [];
  return readdirSync(roots.flowsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(roots.flowsDir, d.name, 'service.json')))
    .map((d) => d.name)
    .sort();
}

/** One service's state: its lifecycle, its certificate as the reader sees it with this trust, and why it does not hold. */
function stateOf(code: string, ctx: Context, certificates: CertificateReader) {
  const certificate = certificates.summary(code, ctx.roots, ctx.trust);
  const problem = certificate ? undefined : certificates.check(code, ctx.roots, ctx.trust);
  const holds = certificate?.holds ?? false;
  return {
    service: code,
    lifecycle: lifecycleOf(code, ctx.roots),
    holds,
    ...(holds ? {} : { problem: certificate?.problem ?? problem?.message ?? 'no certificate' }),
    ...(certificate?.changed?.length ? { changed: certificate.changed } : {}),
    certificate: certificate ?? null,
  };
}

const short = (digest?: string) => (digest ? digest.slice(0, 12) : '');

function historyLine(e: GateEvent): string {
  const what = [e.lifecycle && e.lifecycle !== e.action ? `→ ${e.lifecycle}` : '', e.digest ? `certificate ${short(e.digest)}` : '', e.detail ?? ''].filter(Boolean).join(', ');
  return `  ${e.at}  ${e.action.padEnd(12)} by ${e.by}${what ? `  ${what}` : ''}`;
}

export function serviceCommand(certificates: CertificateReader, commands: Command[] = []): Command {
  const cmd = new Command('service').description('A service\'s lifecycle: draft → certified (its sandbox scenarios passed) → live → retired');
  for (const c of commands) cmd.addCommand(c);
  cmd
    .command('promote <code>')
    .description('Make a certified service live. Refused (exit 2) unless its certificate is there, passed, matches what the service depends on as it is now, and — where keys are trusted (WASL_CERT_TRUSTED_KEYS; always in production) — is signed by one of them.')
    .option('--by <name>', 'who promotes it, for the record', cliUser())
    .action(async (code: string, opts: { by: string }) => {
      const ctx = context();
      try {
        const change = promote(code, ctx.roots, opts.by, certificates, new Date(), ctx.trust);
        await auditChange(ctx.config, code, change);
        process.stdout.write(`${code} is live (certificate ${short(change.digest)}, by ${change.by} at ${change.at})\n`);
      } catch (err) {
        if (!(err instanceof LifecycleError)) throw err;
        process.stderr.write(`wasl: not promoted: ${err.message}\n`);
        process.exitCode = 2;
      }
    });
  cmd
    .command('retire <code>')
    .description('Stop accepting orders for a service (orders already accepted go on).')
    .option('--by <name>', 'who retires it, for the record', cliUser())
    .action(async (code: string, opts: { by: string }) => {
      const ctx = context();
      const change = retire(code, ctx.roots, opts.by);
      await auditChange(ctx.config, code, change);
      process.stdout.write(`${code} is retired (by ${change.by} at ${change.at})\n`);
    });
  cmd
    .command('status [code]')
    .description(
      'A service\'s certificate: whether it holds (checked with WASL_CERT_TRUSTED_KEYS where set), and when not, why and which dependency changed; then its history, newest last: lifecycle changes and the gate\'s audit records (certify, promote, retire, refused to start). --all: every service, one line each. Exit 1 when a live service\'s certificate does not hold.',
    )
    .option('--all', 'every service of the flows folder')
    .option('--json', 'as JSON')
    .action(async (code: string | undefined, opts: { all?: boolean; json?: boolean }) => {
      const ctx = context();
      if (!code && !opts.all) {
        process.stderr.write('wasl: name a service, or --all\n');
        process.exitCode = 2;
        return;
      }
      if (opts.all) {
        const states = servicesIn(ctx.roots).map((c) => stateOf(c, ctx, certificates));
        if (opts.json) process.stdout.write(`${JSON.stringify({ trust: ctx.trust ? 'signatures' : 'digest only', services: states }, null, 2)}\n`);
        else {
          const width = Math.max(0, ...states.map((s) => s.service.length));
          const lines = states.map((s) => `${s.service.padEnd(width)}  ${String(s.lifecycle).padEnd(9)}  ${s.holds ? 'holds' : `does not hold: ${s.changed ? s.changed.map((c) => `${c.kind} ${c.path ?? c.name}${c.change === 'changed' ? '' : ` ${c.change}`}`).join(', ') : s.problem}`}`);
          const broken = states.filter((s) => !s.holds);
          lines.push(`${states.length} services, ${states.length - broken.length} holding${ctx.trust ? ' (signatures checked with WASL_CERT_TRUSTED_KEYS)' : ' (digest only: no WASL_CERT_TRUSTED_KEYS)'}`);
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        if (states.some((s) => s.lifecycle === 'live' && !s.holds)) process.exitCode = 1;
        return;
      }
      const name = code!;
      if (!lifecycleOf(name, ctx.roots)) {
        process.stderr.write(`wasl: no service ${name} in ${ctx.roots.flowsDir}\n`);
        process.exitCode = 2;
        return;
      }
      const state = stateOf(name, ctx, certificates);
      const audit = await auditOf(ctx.config, name);
      const history = serviceHistory(lifecycleHistory(name, ctx.roots), audit.records);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...state, trust: ctx.trust ? 'signatures' : 'digest only', history, ...(audit.unreadable ? { auditUnreadable: audit.unreadable } : {}) }, null, 2)}\n`);
      } else {
        const cert = state.certificate;
        const lines = [
          `${name}: ${state.lifecycle}`,
          cert ? `certificate ${short(cert.digest)}: ${cert.passed}/${cert.scenarios} scenarios, ${cert.certifiedAt} by ${cert.by}${cert.signedBy ? `, signed by key ${cert.signedBy}` : ', unsigned'}` : 'no certificate',
          state.holds ? `holds for what the service depends on as it is now${ctx.trust ? ', signed by a trusted key' : ''}` : `does not hold: ${state.problem}`,
          ...(state.changed ?? []).map((c) => `  ${c.change.padEnd(8)} ${c.kind} ${c.path ?? c.name}${c.before !== undefined ? ` (${c.before} → ${c.after})` : ''}`),
          'history (newest last):',
          ...history.map(historyLine),
          ...(audit.unreadable ? [`(the audit trail could not be read: ${audit.unreadable})`] : []),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (state.lifecycle === 'live' && !state.holds) process.exitCode = 1;
    });
  return cmd;
}
