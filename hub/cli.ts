/**
 * The `wasl` command line. Each command is a thin wrapper around a module that tests use directly.
 * What is not the hub's comes in at start (bin/wasl.js hands in the sandbox's: sandbox/cli.ts):
 * the simulators and certificate reader the hubs it starts receive, and commands of its own.
 */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from './config';
import { ALL_ROLES, createHub, startHub, VERSION, type Hub, type HubExtensions, type Roles } from './hub';
import type { CertificateReader } from './lifecycle';
import { replayCommand } from './cli/replay';
import { paymentsCommand } from './cli/payments';
import { serviceCommand } from './cli/service';
import { auditCommand } from './cli/audit';
import { providerCommand } from './cli/provider';
import { operatorCommand } from './cli/operator';
import { certCommand } from './cli/cert';
import { createLogger } from './log';
import { initTracing, shutdownTracing } from './tracing';
import { useRecordedSimulators } from './simulator-addresses';
import pino from 'pino';

function port(value: string): string {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return value;
}

/** What `wasl` receives from outside hub/ at start: what the hubs it starts receive, and commands of its own. */
export interface CliExtensions extends HubExtensions {
  /** Reads services' certificates: `wasl service promote` and `status`, the production hub's warning, GET /v1/services. */
  certificates: CertificateReader;
  /** Commands of `wasl service` made elsewhere (the sandbox's `service new`), listed before promote, retire and status. */
  serviceCommands?: Command[];
  /** Commands of their own (`wasl sandbox`), listed after `wasl service`. */
  commands?: Command[];
}

export function buildCli(ext: CliExtensions): Command {
  const extensions: HubExtensions = { certificates: ext.certificates, ...(ext.simulators ? { simulators: ext.simulators } : {}) };
  const offline = () => createHub(loadConfig(), { ...extensions, roles: { gateway: false, relay: false, workers: false }, logger: quietLogger() });
  const program = new Command('wasl')
    .description('wasl — the integration hub of the citizen-service centres')
    .version(VERSION)
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true });

  program
    .command('start')
    .description('Run the hub: gateway, outbox relay and workers, on SQLite and the embedded queue unless DATABASE_URL / AMQP_URL are set (README, "Configuration")')
    .option('-p, --port <port>', 'port to listen on (overrides PORT)', port)
    .option('--host <host>', 'address to listen on (overrides HOST)')
    .option('--no-workers', 'run only the gateway and the relay; consumers run in `wasl worker` processes')
    .action(async (opts: { port?: string; host?: string; workers: boolean }) => {
      const env = { ...process.env };
      if (opts.port) env.PORT = opts.port;
      if (opts.host) env.HOST = opts.host;
      // Before the hub: its gateway, bus and flows trace when OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT is set (README, "Tracing").
      initTracing({ role: 'gateway', version: VERSION });
      const hub = await startHub(loadConfig(env), { ...extensions, roles: { ...ALL_ROLES, workers: opts.workers }, demoOperator: true });
      if (hub.demoKey) {
        process.stdout.write(
          `\nSandbox demo channel "${hub.demoKey.channel}" (all services). Its key, kept in ${hub.config.dataDir}/demo-channel-key:\n  Authorization: Bearer ${hub.demoKey.key}\n\n`,
        );
      }
      if (hub.demoOperator) {
        process.stdout.write(
          `Sandbox demo operator for the dashboard, ${hub.url ?? ''}/monitor (role ${hub.demoOperator.role}; kept in ${hub.config.dataDir}/demo-operator):\n  user ${hub.demoOperator.user}, password ${hub.demoOperator.password}\n\n`,
        );
      }
      if (hub.config.env === 'sandbox' && !hub.config.operators && hub.url) {
        process.stdout.write(`Flows editor: ${hub.url}/red (no login: this sandbox listens on ${hub.config.host} only; to share it, set WASL_OPERATORS — README, "A shared sandbox")\n\n`);
      }
      stopOnSignals(hub);
    });

  program
    .command('worker')
    .description('Run only the workers (bus consumers), to scale out next to `wasl start --no-workers`; needs DATABASE_URL and AMQP_URL to share work between machines')
    .action(async () => {
      const roles: Roles = { gateway: false, relay: false, workers: true };
      initTracing({ role: 'worker', version: VERSION });
      stopOnSignals(await startHub(loadConfig(), { ...extensions, roles }));
    });

  // In another shell than the sandbox hub's: its simulators are where it recorded them (free ports unless pinned).
  program.hook('preAction', (_program, command) => {
    if (!['start', 'worker'].includes(command.name())) useRecordedSimulators(resolve(process.env.WASL_DATA_DIR || 'data'));
  });

  program.addCommand(replayCommand(offline));
  program.addCommand(paymentsCommand(offline));

  program.addCommand(providerCommand(offline));

  program.addCommand(operatorCommand());
  program.addCommand(serviceCommand(ext.certificates, ext.serviceCommands));
  program.addCommand(certCommand());
  for (const c of ext.commands ?? []) program.addCommand(c);
  program.addCommand(auditCommand(offline));

  return program;
}

function stopOnSignals(hub: Hub): void {
  const stop = (signal: string) => {
    hub.logger.info({ signal }, 'stopping');
    // The spans still buffered are exported once the hub has finished what it held.
    hub.close().then(shutdownTracing).then(
      () => process.exit(0),
      (err: unknown) => {
        hub.logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** Commands that print for a person log only warnings, to stderr. */
function quietLogger() {
  return createLogger(process.env.WASL_LOG_LEVEL ?? 'warn', pino.destination(2));
}

export async function main(argv: string[], ext: CliExtensions): Promise<void> {
  try {
    await buildCli(ext).parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`wasl: configuration: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}
