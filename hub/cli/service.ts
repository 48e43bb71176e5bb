/**
 * `wasl service promote|retire|status <code>`: a service's lifecycle, guarded by its certificate
 * (hub/lifecycle.ts), read by the certificate reader `wasl` was given at start. Commands of the
 * service made elsewhere (the sandbox's `service new`) are listed first.
 */
import { Command } from 'commander';
import { loadConfig } from '../config';
import { openStore } from '../store';
import { LifecycleError, lifecycleHistory, promote, retire, serviceRoots, type CertificateReader, type ServiceRoots } from '../lifecycle';
import { cliUser } from './args';

function roots(): ServiceRoots {
  return serviceRoots(loadConfig(process.env).flowsDir);
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

export function serviceCommand(certificates: CertificateReader, commands: Command[] = []): Command {
  const cmd = new Command('service').description('A service\'s lifecycle: draft → certified (its sandbox scenarios passed) → live → retired');
  for (const c of commands) cmd.addCommand(c);
  cmd
    .command('promote <code>')
    .description('Make a certified service live. Refused (exit 2) unless its certificate is there, passed, and matches its definition, flow, scenarios and providers as they are now.')
    .option('--by <name>', 'who promotes it, for the record', cliUser())
    .action(async (code: string, opts: { by: string }) => {
      try {
        const change = promote(code, roots(), opts.by, certificates);
        await auditChange(code, change);
        process.stdout.write(`${code} is live (certificate ${change.digest?.slice(0, 12)}, by ${change.by} at ${change.at})\n`);
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
      const change = retire(code, roots(), opts.by);
      await auditChange(code, change);
      process.stdout.write(`${code} is retired (by ${change.by} at ${change.at})\n`);
    });
  cmd
    .command('status <code>')
    .description('The service\'s certificate, whether it still holds, and its lifecycle history.')
    .action((code: string) => {
      const r = roots();
      const cert = certificates.summary(code, r);
      const problem = certificates.check(code, r);
      const lines = [
        cert ? `certificate ${cert.digest.slice(0, 12)}: ${cert.passed}/${cert.scenarios} scenarios, ${cert.certifiedAt} by ${cert.by}` : 'no certificate',
        problem ? `does not hold: ${problem.message}` : 'holds for the files as they are',
        ...lifecycleHistory(code, r).map((c) => `${c.at}  ${c.lifecycle.padEnd(9)} by ${c.by}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  return cmd;
}
