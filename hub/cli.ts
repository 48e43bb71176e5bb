/** The `wasl` command line. Each command is a thin wrapper around a module that tests use directly. */
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from './config';
import { startHub, VERSION } from './hub';

function port(value: string): string {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return value;
}

export function buildCli(): Command {
  const program = new Command('wasl')
    .description('wasl — the integration hub of the citizen-service centres')
    .version(VERSION)
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true });

  program
    .command('start')
    .description('Run the hub: gateway and store, on SQLite unless DATABASE_URL is set (configuration: README, "Configuration")')
    .option('-p, --port <port>', 'port to listen on (overrides PORT)', port)
    .option('--host <host>', 'address to listen on (overrides HOST)')
    .action(async (opts: { port?: string; host?: string }) => {
      const env = { ...process.env };
      if (opts.port) env.PORT = opts.port;
      if (opts.host) env.HOST = opts.host;
      const hub = await startHub(loadConfig(env));
      if (hub.demoKey) {
        process.stdout.write(
          `\nSandbox demo channel "${hub.demoKey.channel}" (all services). Its key, kept in ${hub.config.dataDir}/demo-channel-key:\n  Authorization: Bearer ${hub.demoKey.key}\n\n`,
        );
      }
      const stop = (signal: string) => {
        hub.logger.info({ signal }, 'stopping');
        hub.close().then(
          () => process.exit(0),
          (err: unknown) => {
            hub.logger.error({ err }, 'stop failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`wasl: configuration: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}
