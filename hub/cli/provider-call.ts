/**
 * `wasl provider call <code> <operation> --input '<json>'`: calls one operation of a provider as
 * wasl would, with its security, resilience policy and contract checks, and prints the output.
 * A SOAP fault, an error status or a refusal exits 1 with the error code, fault code and text,
 * and which entry of the provider's `errors.rules` mapped it (its index, kind and criteria), or
 * that none did.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import type * as Connectors from '../../connectors';
import type * as Errors from '../../connectors/errors';
import type * as ErrorMapping from '../../connectors/error-mapping';
import type * as ProviderFiles from '../../connectors/provider-files';

const DEFAULT_ROOT = path.resolve(__dirname, '..', '..', 'contracts', 'providers');

interface CallOpts {
  input?: string;
  inputFile?: string;
  env: 'sandbox' | 'production';
  order?: string;
  idempotencyKey?: string;
  newKey?: boolean;
  user?: string;
  root: string;
  header: Record<string, string>;
}

function environment(value: string): 'sandbox' | 'production' {
  if (value !== 'sandbox' && value !== 'production') throw new InvalidArgumentError('sandbox or production');
  return value;
}

export function header(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const i = value.indexOf('=');
  if (i < 1) throw new InvalidArgumentError('name=value');
  return { ...previous, [value.slice(0, i).trim()]: value.slice(i + 1) };
}

function readInput(opts: CallOpts): unknown {
  const text = opts.inputFile ? readFileSync(opts.inputFile, 'utf8') : (opts.input ?? '{}');
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`the input is not valid JSON${opts.inputFile ? ` (${opts.inputFile})` : ''}`);
  }
}

export async function runCall(code: string, operation: string, opts: CallOpts): Promise<number> {
  // The connectors (and the WSDL compiler behind them) load when a call is made, not whenever `wasl` starts.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createConnector } = require('../../connectors') as typeof Connectors;
  const { isConnectorError } = require('../../connectors/errors') as typeof Errors;
  const { describeRule } = require('../../connectors/error-mapping') as typeof ErrorMapping;
  const { loadProvider } = require('../../connectors/provider-files') as typeof ProviderFiles;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const connector = createConnector(code, opts.env, { providersRoot: path.resolve(opts.root) });
  try {
    if (!connector.operations().some((o) => o.name === operation)) {
      process.stderr.write(`wasl: ${code} has no operation ${operation}; it has: ${connector.operations().map((o) => o.name).join(', ')}\n`);
      return 1;
    }
    const result = await connector.call(operation, readInput(opts), {
      orderId: opts.order,
      idempotencyKey: opts.idempotencyKey ?? (opts.newKey ? randomUUID() : undefined),
      userId: opts.user,
      headers: opts.header,
    });
    process.stdout.write(`${JSON.stringify(result.output, null, 2)}\n`);
    process.stderr.write(`${operation}: HTTP ${result.status}, ${result.attempts} attempt(s), ${Math.round(result.durationMs)} ms\n`);
    return 0;
  } catch (err) {
    if (!isConnectorError(err)) throw err;
    const e = err as Errors.ConnectorError & { faultCode?: string; providerMessage?: string; status?: number; reason?: string; providerCode?: string; rule?: Errors.MatchedRule; violations?: Array<{ pointer: string; message: string }> };
    const lines = [`wasl: ${e.code}: ${e.message}`];
    if (e.status !== undefined) lines.push(`  status: ${e.status}`);
    if (e.faultCode) lines.push(`  fault code: ${e.faultCode}`);
    if (e.reason) lines.push(`  reason: ${e.reason} (provider code ${e.providerCode})`);
    // The engineer at the terminal needs the provider's own words; they are never logged.
    if (e.providerMessage) lines.push(`  fault text: ${e.providerMessage}`);
    // Which errors.rules entry decided what the fault is, so a rule can be checked against a real answer.
    if (e.rule) lines.push(`  matched ${describeRule(e.rule)}`);
    else if (e.code === 'provider-fault' || e.code === 'business-refusal') {
      const rules = loadProvider(code, path.resolve(opts.root)).definition.errors?.rules?.length ?? 0;
      lines.push(rules ? `  no errors.rules entry matched (${rules} tried): ${e.transient ? 'transient' : 'not transient'} by the connector's defaults` : `  the provider has no errors.rules`);
    }
    for (const v of e.violations ?? []) lines.push(`  ${v.pointer || '/'} ${v.message}`);
    lines.push(`  after ${e.attempt} attempt(s), ${Math.round(e.durationMs)} ms`);
    process.stderr.write(`${lines.join('\n')}\n`);
    return 1;
  } finally {
    await connector.close();
  }
}

export function providerCallCommand(): Command {
  return new Command('call')
    .description('Call an operation of a provider and print its output as JSON; a fault, error status or refusal exits 1 with its code and text')
    .argument('<code>', 'provider code')
    .argument('<operation>', 'operation name (see `wasl provider describe <code>`)')
    .option('--input <json>', 'the input, as JSON matching the operation\'s input schema', '{}')
    .option('--input-file <file>', 'read the input from a file instead')
    .option('--env <env>', 'sandbox or production: which endpoint and credentials', environment, 'sandbox')
    .option('--order <id>', 'the order the call is for (X-Road issue, logs)')
    .option('--idempotency-key <key>', 'makes the call safe to retry (X-Road id, Idempotency-Key header)')
    .option('--new-key', 'use a fresh random idempotency key')
    .option('--user <id>', 'who the call is made for (X-Road userId)')
    .option('--header <name=value>', 'an extra HTTP header (repeatable)', header, {})
    .option('--root <dir>', 'providers folder', DEFAULT_ROOT)
    .action(async (code: string, operation: string, opts: CallOpts) => {
      process.exitCode = await runCall(code, operation, opts);
    });
}
