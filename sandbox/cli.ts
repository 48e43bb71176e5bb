/**
 * The sandbox's commands of `wasl`, handed to the hub's command line at start (bin/wasl.js) with
 * what the hub receives of the sandbox (./extension.ts):
 * - `wasl sandbox test [service…]`: runs services' scenarios against the simulators
 *   (runner/runner.ts), with a progress bar on a terminal, a summary, a JUnit XML and an HTML
 *   report; exits 1 when a scenario failed, 2 when the run could not start. `--watch` runs again
 *   whenever a flow, a scenario or a contract changes.
 * - `wasl service new <code>`: scaffolds a service as a draft (scaffold/scaffold.ts), beside the
 *   hub's `service promote | retire | status`.
 */
import { watch, type FSWatcher } from 'chokidar';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import type { CliExtensions } from '../hub/cli';
import { loadConfig, type HubConfig } from '../hub/config';
import { gateAuditEntry, serviceRoots } from '../hub/lifecycle';
import { openStore } from '../hub/store';
import { sandboxExtension } from './extension';
import { summaryLines, writeReports } from './runner/report';
import { DEFAULT_CONCURRENCY, runSandbox, SandboxRunError } from './runner/runner';
import { ScenarioError } from './runner/scenarios';
import type { RunReport } from './runner/results';
import { scaffoldService, ScaffoldError } from './scaffold/scaffold';

interface TestOptions {
  concurrency: number;
  timeout: number;
  reportDir: string;
  certify: boolean;
  watch: boolean;
  by: string;
  log?: string;
}

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const REPO = resolve(__dirname, '..');

async function once(services: string[], o: TestOptions, out: NodeJS.WriteStream): Promise<RunReport | undefined> {
  const config = loadConfig(process.env);
  const tty = out.isTTY === true;
  const bar = new SingleBar({ format: 'scenarios |{bar}| {value}/{total} {failed} failed  {last}', hideCursor: true, clearOnComplete: true, stream: out }, Presets.shades_classic);
  let failed = 0;
  try {
    const report = await runSandbox({
      services,
      flowsDir: config.flowsDir,
      fulfilmentFile: config.fulfilmentFile,
      concurrency: o.concurrency,
      scenarioTimeoutMs: o.timeout,
      certify: o.certify,
      by: o.by,
      ...(config.certSigningKey ? { signingKey: config.certSigningKey } : {}),
      ...(o.log ? { logFile: o.log } : {}),
      onStart: (total) => {
        if (tty) bar.start(total, 0, { failed: 0, last: '' });
        else out.write(`running ${total} scenarios\n`);
      },
      onScenario: (r) => {
        if (!r.passed) failed++;
        if (tty) bar.increment({ failed, last: `${r.passed ? '✓' : '✗'} ${r.service} › ${r.scenario}`.slice(0, 80) });
        else out.write(`${r.passed ? 'ok  ' : 'FAIL'} ${r.service} › ${r.scenario} (${r.durationMs} ms)\n`);
      },
    });
    if (tty) bar.stop();
    await auditCertifications(report, o.by, config);
    const files = writeReports(report, o.reportDir);
    out.write(`${summaryLines(report).join('\n')}\nreports: ${files.junit}, ${files.html}\n`);
    return report;
  } catch (err) {
    if (tty) bar.stop();
    if (!(err instanceof SandboxRunError || err instanceof ScenarioError)) throw err;
    process.stderr.write(`wasl: ${err.message}\n`);
    return undefined;
  }
}

/**
 * Each certificate issued, into the audit trail of the store the configuration names (WASL_DATA_DIR
 * or DATABASE_URL), as `wasl service promote` records a promotion: who certified, on which
 * certificate, signed by which key.
 */
async function auditCertifications(report: RunReport, by: string, config: HubConfig): Promise<void> {
  const entries = report.services.flatMap((s) =>
    s.certificate
      ? [gateAuditEntry('certify', s.service, `operator:${by}`, s.certificate.certifiedAt, { certificate: s.certificate.digest, scenarios: s.scenarios.length, ...(s.certificate.signedBy ? { signedBy: s.certificate.signedBy } : {}) })]
      : [],
  );
  if (entries.length === 0) return;
  const store = await openStore(config);
  try {
    await store.appendAudit(entries);
  } finally {
    await store.close();
  }
}

/**
 * Re-runs on change, a quiet moment after the last one (an editor saves several files at once).
 * chokidar rather than fs.watch: on Linux, Node 20's recursive fs.watch sets up the watches of
 * subfolders in the background, with no sign of when it is done, so a change made right away can
 * be missed; chokidar says when it is watching everything ('ready').
 */
async function watchAndRerun(dirs: string[], run: () => Promise<unknown>): Promise<FSWatcher> {
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const changed = (file: string) => {
    if (/(^|\/)(certificate|lifecycle)\.json$/.test(file)) return; // written by the run itself
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(async () => {
        process.stdout.write(`\n— ${file} changed: running again —\n`);
        await run();
      });
    }, 300);
  };
  const watcher = watch(dirs, { ignoreInitial: true });
  watcher.on('all', (_event, file) => changed(file));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return watcher;
}

export function sandboxCommand(): Command {
  const cmd = new Command('sandbox').description('The sandbox: prove services against simulated ministries before they go live');
  cmd
    .command('test [services...]')
    .description('Run the scenarios of these services (all that have some by default) through the hub against the simulators; certify those whose scenarios all pass. Exit 1 when one fails.')
    .option('-c, --concurrency <n>', 'scenarios at once (those injecting transport faults run after, one at a time per provider)', positive, DEFAULT_CONCURRENCY)
    .option('--timeout <ms>', 'longest a scenario may take to settle', positive, 30_000)
    .option('--report-dir <dir>', 'where junit.xml and report.html are written', resolve(process.cwd(), 'sandbox-report'))
    .option('--no-certify', 'do not certify the services that pass')
    .option('--by <name>', 'who certifies, for the record', process.env.USER ?? 'sandbox')
    .option('--log <file>', "append the hub's log lines (JSON) to this file")
    .option('-w, --watch', 'run again when a flow, a scenario or a contract changes', false)
    .action(async (services: string[], o: TestOptions) => {
      const report = await once(services, o, process.stdout);
      if (!o.watch) {
        process.exitCode = report ? (report.failed > 0 ? 1 : 0) : 2;
        return;
      }
      const config = loadConfig(process.env);
      const watcher = await watchAndRerun([config.flowsDir, resolve(REPO, 'contracts')], () => once(services, o, process.stdout));
      process.stdout.write('watching flows/ and contracts/ (Ctrl-C to stop)\n');
      await new Promise<void>((done) => process.once('SIGINT', () => done()));
      await watcher.close();
    });
  return cmd;
}

/** `wasl service new`: listed first among the service's commands, before the hub's promote, retire and status. */
export function newServiceCommand(): Command {
  return new Command('new')
    .argument('<code>')
    .description('Scaffold a service as a draft: its definition, its flow in stages wired to a provider\'s operation (payment, the call, delivery, refund) with its mappings proposed for review, a happy-path scenario and one scenario per fault the provider declares.')
    .requiredOption('--provider <code>', 'the provider it calls (imported under contracts/providers)')
    .option('--operation <name>', 'the operation it calls (default: the provider\'s first)')
    .option('--name-ar <text>', 'its name in Arabic')
    .option('--name-en <text>', 'its name in English')
    .action((code: string, opts: { provider: string; operation?: string; nameAr?: string; nameEn?: string }) => {
      try {
        const r = serviceRoots(loadConfig(process.env).flowsDir);
        const done = scaffoldService({
          code,
          provider: opts.provider,
          flowsDir: r.flowsDir,
          providersRoot: r.providersRoot,
          ...(opts.operation ? { operation: opts.operation } : {}),
          ...(opts.nameAr || opts.nameEn ? { names: { ar: opts.nameAr ?? code, en: opts.nameEn ?? code } } : {}),
        });
        const proposed = done.proposals.map((p) => `  ${p.member} ← ${p.from}\n      ${p.why}`);
        process.stdout.write(
          `${code}: draft calling ${opts.provider}.${done.operation}\n${done.files.map((f) => `  wrote ${f}`).join('\n')}\n` +
            `Proposed mappings (each marked /* wasl:proposed */ in flow.json: review it, then delete the mark; a service is not certified while one is left):\n${proposed.join('\n') || '  none'}\n` +
            `Scenarios: ${done.scenarios.join(', ')}\n` +
            `Next: review the mappings in the editor (/red) or in flow.json, then \`wasl sandbox test ${code}\`.\n`,
        );
      } catch (err) {
        if (!(err instanceof ScaffoldError)) throw err;
        process.stderr.write(`wasl: ${err.message}\n`);
        process.exitCode = 2;
      }
    });
}

/** What `wasl` gets of the sandbox (bin/wasl.js): its simulators and certificate reader, `wasl service new` and `wasl sandbox`. */
export function sandboxCli(): CliExtensions {
  return { ...sandboxExtension, serviceCommands: [newServiceCommand()], commands: [sandboxCommand()] };
}
