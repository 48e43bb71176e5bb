/**
 * `wasl provider record <code> --env test|production --operation <op> --input <file|->`: the
 * recording mode of `wasl provider call` (./provider-call.ts). It calls the operation on the
 * provider's real system — its test system (provider.json `environments.test`) or production —
 * through the real connector
 * (security, resilience, contract checks, error rules), captures the last attempt as it went over
 * the wire, masks every value of citizens' data in it (connectors/recording/mask.ts) and writes
 * it to contracts/providers/<code>/recordings/<operation>/<label>.json
 * (contracts/recording.schema.json), with the errors.rules entry that mapped a fault. The
 * provider's generated sandbox simulator then replays it (sandbox/README.md, "Recordings").
 *
 * Nothing unmasked is printed or written: stdout gets the recording's masked input (the values a
 * scenario gives to be answered from this recording), stderr a summary.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import type * as Errors from '../../connectors/errors';
import type * as ProviderFiles from '../../connectors/provider-files';
import type * as Secrets from '../../connectors/secrets';
import type * as Soap from '../../connectors/soap/connector';
import type * as Rest from '../../connectors/rest/connector';
import type * as RecordMod from '../../connectors/recording/record';
import type { Connector } from '../../connectors/connector';
import { header } from './provider-call';

const DEFAULT_ROOT = path.resolve(__dirname, '..', '..', 'contracts', 'providers');

interface RecordOpts {
  env: 'test' | 'production';
  operation: string;
  input: string;
  name?: string;
  match?: string[];
  keep?: string[];
  header: Record<string, string>;
  overwrite?: boolean;
  root: string;
}

function environment(value: string): 'test' | 'production' {
  if (value === 'sandbox') throw new InvalidArgumentError('not sandbox: recording a simulator records nothing the provider does; record from the provider\'s test system (test) or production');
  if (value !== 'test' && value !== 'production') throw new InvalidArgumentError('test or production');
  return value;
}

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

function readInput(where: string): unknown {
  const text = where === '-' ? readFileSync(0, 'utf8') : readFileSync(where, 'utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`the input is not valid JSON (${where === '-' ? 'stdin' : where})`);
  }
}

export async function runRecord(code: string, opts: RecordOpts): Promise<number> {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded when a recording is made, as for provider call */
  const { isConnectorError } = require('../../connectors/errors') as typeof Errors;
  const { loadProvider } = require('../../connectors/provider-files') as typeof ProviderFiles;
  const { secret } = require('../../connectors/secrets') as typeof Secrets;
  const { SoapConnector } = require('../../connectors/soap/connector') as typeof Soap;
  const { RestConnector } = require('../../connectors/rest/connector') as typeof Rest;
  const { CapturingHttpClient, makeRecording, writeRecording, RecordingError } = require('../../connectors/recording/record') as typeof RecordMod;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const root = path.resolve(opts.root);
  const provider = loadProvider(code, root);
  const def0 = provider.definition;
  // The test system is environments.test, never the sandbox (a simulator since import: recording it
  // would record wasl's own guesses). It is called as the connector calls production: its own
  // endpoint and security, secrets from the environment, no sandbox defaults.
  const target = opts.env === 'test' ? def0.environments.test : def0.environments.production;
  if (!target) {
    process.stderr.write(`wasl: provider ${code} has no ${opts.env} environment in provider.json${opts.env === 'test' ? ': add environments.test.endpoint, the provider\'s own test system' : ''}\n`);
    return 1;
  }
  const loaded = { ...provider, definition: { ...def0, environments: { ...def0.environments, production: target } } };
  const def = loaded.definition;
  const env = 'production' as const;
  const secrets: string[] = [];
  const readSecret = (name: string) => {
    const v = secret(name);
    secrets.push(v);
    return v;
  };
  const http = new CapturingHttpClient();
  const connector: Connector =
    def.kind === 'soap'
      ? new SoapConnector(loaded, env, { http, readSecret })
      : new RestConnector({ definition: def, operations: loaded.operations, environment: env, client: http, readSecret });
  try {
    const op = connector.operations().find((o) => o.name === opts.operation);
    if (!op) {
      process.stderr.write(`wasl: ${code} has no operation ${opts.operation}; it has: ${connector.operations().map((o) => o.name).join(', ')}\n`);
      return 1;
    }
    const input = readInput(opts.input);
    let output: unknown;
    let fault: RecordMod.FaultSeen | undefined;
    let attempts = 1;
    try {
      const result = await connector.call(opts.operation, input, { idempotencyKey: `record-${randomUUID()}`, headers: opts.header });
      output = result.output;
      attempts = result.attempts;
    } catch (err) {
      if (!isConnectorError(err)) throw err;
      const e = err as Errors.ConnectorError & { faultCode?: string; providerCode?: string; providerMessage?: string; status?: number; reason?: string; rule?: Errors.MatchedRule };
      attempts = e.attempt ?? 1;
      if (e.code !== 'business-refusal' && e.code !== 'provider-fault') {
        // No answer to keep (a time-out, a refused connection), or one the contract refuses: say what, never the values.
        const violations = ((e as { violations?: Array<{ pointer: string; message: string }> }).violations ?? []).map((v) => `\n  ${v.pointer || '/'} ${v.message}`).join('');
        process.stderr.write(`wasl: nothing recorded: ${e.code}${e.status !== undefined ? ` (HTTP ${e.status})` : ''} after ${attempts} attempt(s)${violations}\n`);
        return 1;
      }
      fault = {
        code: e.code,
        ...(e.faultCode ? { faultCode: e.faultCode } : {}),
        ...(e.providerCode ? { providerCode: e.providerCode } : {}),
        ...(e.providerMessage !== undefined ? { providerMessage: e.providerMessage } : {}),
        ...(e.status !== undefined ? { status: e.status } : {}),
        transient: e.transient,
        ...(e.reason ? { reason: e.reason } : {}),
        ...(e.rule ? { rule: { index: e.rule.index, kind: e.rule.kind as 'refusal' | 'transient' | 'permanent' } } : {}),
      };
    }
    // The last attempt of the operation itself (an OAuth2 token request is not it).
    const tokenUrl = def.environments[env]?.security?.oauth2?.tokenUrl ?? def.security?.oauth2?.tokenUrl;
    const exchange = [...http.exchanges].reverse().find((x) => x.response && (!tokenUrl || x.url.split('?')[0] !== tokenUrl.split('?')[0]));
    if (!exchange) {
      process.stderr.write('wasl: nothing recorded: the provider did not answer\n');
      return 1;
    }
    const label = opts.name ?? `${fault ? (fault.reason ?? fault.faultCode ?? fault.providerCode ?? 'fault') : 'answer'}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`.replace(/[^A-Za-z0-9._-]/g, '-');
    let file: string;
    let rec: ReturnType<typeof makeRecording>;
    try {
      rec = makeRecording({ definition: def, operation: opts.operation, inputSchema: op.inputSchema as Record<string, unknown>, outputSchema: op.outputSchema as Record<string, unknown>, input, ...(fault ? { fault } : { output }), exchange, attempts, environment: opts.env, label, keep: opts.keep ?? [], ...(opts.match?.length ? { match: opts.match } : {}), secrets });
      file = writeRecording(loaded.dir, rec, !!opts.overwrite);
    } catch (err) {
      if (err instanceof RecordingError) {
        process.stderr.write(`wasl: nothing recorded: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
    const f = rec.fault;
    const lines = [`recorded ${path.relative(process.cwd(), file) || file}: ${rec.outcome}, HTTP ${rec.response.status}, ${attempts} attempt(s), ${rec.masking.masked} value(s) masked`];
    if (f) lines.push(`  fault: ${f.error}${f.faultCode ? ` ${f.faultCode}` : ''}${f.reason ? `, reason ${f.reason}` : ''}${f.rule !== undefined ? `, errors.rules[${f.rule}] (${f.kind})` : ', no errors.rules entry matched'}${f.text ? `; text (masked): ${f.text}` : ''}`);
    lines.push(`  the simulator replays it for a request whose ${rec.match.join(', ') || '(nothing)'} equal the masked input printed on stdout`);
    process.stderr.write(`${lines.join('\n')}\n`);
    process.stdout.write(`${JSON.stringify({ file, label: rec.label, outcome: rec.outcome, status: rec.response.status, match: rec.match, input: rec.input, ...(f ? { fault: f } : {}) }, null, 2)}\n`);
    return 0;
  } finally {
    await connector.close();
    await http.close();
  }
}

export function providerRecordCommand(): Command {
  return new Command('record')
    .description("Call an operation on a provider's real system (its test system, or production) and record the exchange as on the wire, masked, under contracts/providers/<code>/recordings/<operation>/ for the sandbox simulator to replay")
    .argument('<code>', 'provider code')
    .requiredOption('--env <env>', "test (the provider's own test system: provider.json environments.test) or production; never sandbox", environment)
    .requiredOption('--operation <op>', 'the operation to call')
    .requiredOption('--input <file|->', "a JSON file with the operation's input, or - for stdin")
    .option('--name <label>', 'the recording\'s name (file name without .json); by default the outcome and the time')
    .option('--match <fields>', 'comma-separated input fields (names, dotted paths or JSON pointers) a request must match to be answered from this recording; all by default', list)
    .option('--keep <fields>', 'comma-separated fields that are not personal, kept in clear (a country code, a currency)', list)
    .option('--header <name=value>', 'an extra HTTP header (repeatable)', header, {})
    .option('--overwrite', 'replace a recording of the same name')
    .option('--root <dir>', 'providers folder', DEFAULT_ROOT)
    .action(async (code: string, opts: RecordOpts) => {
      process.exitCode = await runRecord(code, opts);
    });
}
