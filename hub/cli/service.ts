/** `wasl service promote|retire|status <code>`: a service's lifecycle, guarded by its certificate. */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../config';
import { openStore } from '../store';
import { checkCertificate, lifecycleHistory, promote, readCertificate, retire, CertificationError, type Roots } from '../sandbox/certificate';
import { scaffoldService, ScaffoldError } from '../sandbox/scaffold';
import { cliUser } from './args';

function roots(): Roots {
  const config = loadConfig(process.env);
  return { flowsDir: config.flowsDir, providersRoot: resolve(__dirname, '..', '..', 'contracts', 'providers'), base: resolve(config.flowsDir, '..') };
}

/**
 * A lifecycle change into the audit trail of the hub's store (the one WASL_DATA_DIR or DATABASE_URL
 * names): who made the service live or retired it, when, and on which certificate.
 */
async function auditChange(code: string, change: { lifecycle: string; by: string; at: string; digest?: string }): Promise<void> {
  const store = await openStore(loadConfig(process.env));
  try {
    await store.appendAudit([{ at: change.at, kind: 'operator.action', actor: `operator:${change.by}`, subject: `service:${code}`, data: { action: change.lifecycle === 'live' ? 'promote' : 'retire', service: code, lifecycle: change.lifecycle, ...(change.digest ? { certificate: change.digest } : {}) } }]);
  } finally {
    await store.close();
  }
}

export function serviceCommand(): Command {
  const cmd = new Command('service').description('A service\'s lifecycle: draft → certified (its sandbox scenarios passed) → live → retired');
  cmd
    .command('new <code>')
    .description('Scaffold a service as a draft: its definition, its flow in stages wired to a provider\'s operation (payment, the call, delivery, refund), and a first happy-path scenario.')
    .requiredOption('--provider <code>', 'the provider it calls (imported under contracts/providers)')
    .option('--operation <name>', 'the operation it calls (default: the provider\'s first)')
    .option('--name-ar <text>', 'its name in Arabic')
    .option('--name-en <text>', 'its name in English')
    .action((code: string, opts: { provider: string; operation?: string; nameAr?: string; nameEn?: string }) => {
      try {
        const r = roots();
        const done = scaffoldService({
          code,
          provider: opts.provider,
          flowsDir: r.flowsDir,
          providersRoot: r.providersRoot,
          ...(opts.operation ? { operation: opts.operation } : {}),
          ...(opts.nameAr || opts.nameEn ? { names: { ar: opts.nameAr ?? code, en: opts.nameEn ?? code } } : {}),
        });
        process.stdout.write(`${code}: draft calling ${opts.provider}.${done.operation}\n${done.files.map((f) => `  wrote ${f}`).join('\n')}\nNext: fill in the fields schema and the mappings in the editor (/red), then run its scenarios.\n`);
      } catch (err) {
        if (!(err instanceof ScaffoldError)) throw err;
        process.stderr.write(`wasl: ${err.message}\n`);
        process.exitCode = 2;
      }
    });
  cmd
    .command('promote <code>')
    .description('Make a certified service live. Refused (exit 2) unless its certificate is there, passed, and matches its definition, flow, scenarios and providers as they are now.')
    .option('--by <name>', 'who promotes it, for the record', cliUser())
    .action(async (code: string, opts: { by: string }) => {
      try {
        const change = promote(code, roots(), opts.by);
        await auditChange(code, change);
        process.stdout.write(`${code} is live (certificate ${change.digest?.slice(0, 12)}, by ${change.by} at ${change.at})\n`);
      } catch (err) {
        if (!(err instanceof CertificationError)) throw err;
        process.stderr.write(`wasl: not promoted: ${err.message}\n`);
        process.exitCode = 2;
      }
    });
  cmd
    .command('retire <code>')
    .description('Stop accepting orders for a service (orders already accepted go on).')
    .option('--by <name>', 'who retires it, for the record', cliUser())
    .action(async (code: string, opts: { by: string }) => {
      const change = retire(code, roots(), opts.by);
      await auditChange(code, change);
      process.stdout.write(`${code} is retired (by ${change.by} at ${change.at})\n`);
    });
  cmd
    .command('status <code>')
    .description('The service\'s certificate, whether it still holds, and its lifecycle history.')
    .action((code: string) => {
      const r = roots();
      const cert = readCertificate(code, r);
      const problem = checkCertificate(code, r);
      const lines = [
        cert ? `certificate ${cert.digest.slice(0, 12)}: ${cert.report.passed}/${cert.report.scenarios} scenarios, ${cert.certifiedAt} by ${cert.by}` : 'no certificate',
        problem ? `does not hold: ${problem.message}` : 'holds for the files as they are',
        ...lifecycleHistory(code, r).map((c) => `${c.at}  ${c.lifecycle.padEnd(9)} by ${c.by}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  return cmd;
}
