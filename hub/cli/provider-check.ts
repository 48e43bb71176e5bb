/**
 * `wasl provider check <code> [--env <environment>] [--url <url>] [--json]`: fetches the contract a
 * provider's environment publishes (its WSDL at `<endpoint>?wsdl`, its OpenAPI document at
 * `<endpoint>/openapi.json`, or --url) and reports what changed against the contract imported in
 * contracts/providers/<code>/ (connectors/import/drift-check.ts, drift.ts; docs/contract-drift.md).
 *
 * Exit codes: 0 no drift, or only compatible changes; 1 a breaking change; 2 the check could not
 * be made (the provider, the fetch or the parse failed: the report says which).
 */
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type * as DriftCheck from '../../connectors/import/drift-check';
import type * as Drift from '../../connectors/import/drift';

const DEFAULT_ROOT = path.resolve(__dirname, '..', '..', 'contracts', 'providers');

interface CheckOpts {
  env?: string;
  url?: string;
  json?: boolean;
  timeout: number;
  maxBytes: number;
  root: string;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive integer');
  return n;
}

function environment(value: string): string {
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(value)) throw new InvalidArgumentError('an environment name: sandbox, test, production');
  return value;
}

export async function runCheck(code: string, opts: CheckOpts): Promise<number> {
  // The importers load when a check runs, not whenever `wasl` starts.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { checkProvider, exitCodeOf } = require('../../connectors/import/drift-check') as typeof DriftCheck;
  const { formatDrift } = require('../../connectors/import/drift') as typeof Drift;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const report = await checkProvider(code, { root: opts.root, ...(opts.env ? { env: opts.env } : {}), ...(opts.url ? { url: opts.url } : {}), timeoutMs: opts.timeout * 1000, maxBytes: opts.maxBytes });
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else if (report.error) {
    process.stderr.write(`wasl: provider ${code}: ${report.error.stage === 'fetch' ? 'could not fetch the contract' : report.error.stage === 'parse' ? 'could not read the published contract' : 'cannot check'}: ${report.error.message}\n`);
  } else {
    process.stdout.write(`checked ${report.url}${report.environment ? ` (${report.environment})` : ''}\n`);
    for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(`${formatDrift(code, report.changes)}\n`);
  }
  return exitCodeOf(report);
}

export function providerCheckCommand(): Command {
  return new Command('check')
    .description(
      "Compare the contract a provider publishes now (its WSDL at <endpoint>?wsdl, its OpenAPI document at <endpoint>/openapi.json, or --url) with the one imported in contracts/providers/<code>/: operations, members and addresses added, removed or changed, each breaking or compatible. " +
        'Exit 0: no drift or only compatible changes; 1: a breaking change; 2: the contract could not be fetched or read (the message says which).',
    )
    .argument('<code>', 'provider code')
    .option('--env <environment>', 'the environment whose endpoint publishes the contract (default: test if the provider has one, else production; sandbox asks the simulator)', environment)
    .option('--url <url>', 'fetch the contract from this http(s) URL instead')
    .option('--json', 'print the report as JSON')
    .option('--timeout <seconds>', 'time allowed for each document fetched', positive, 30)
    .option('--max-bytes <n>', 'size limit of each document fetched', positive, 5 * 1024 * 1024)
    .option('--root <dir>', 'providers folder', DEFAULT_ROOT)
    .action(async (code: string, opts: CheckOpts) => {
      process.exitCode = await runCheck(code, opts);
    });
}
