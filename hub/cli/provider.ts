/**
 * `wasl provider import` and `wasl provider describe`: thin wrappers around
 * connectors/import (importWsdl, importOpenApi, writeProvider) and connectors/provider-files.
 *
 * Exit codes: 0 done (or nothing to do), 1 error (message on stderr), 3 the contract changed and
 * nothing was written (run again with --yes).
 */
import { createInterface } from 'node:readline/promises';
import type { Hub } from '../hub';
import { providerCallsCommand } from './provider-calls';
import path from 'node:path';
import { Command } from 'commander';
import { providerCallCommand } from './provider-call';
import { providerRecordCommand } from './provider-record';
import { providerCheckCommand } from './provider-check';
import type * as Describe from '../../connectors/import/describe';
import type * as OpenApiImport from '../../connectors/import/openapi';
import type { ImportedContract } from '../../connectors/import/types';
import type * as WsdlImport from '../../connectors/import/wsdl';
import type * as Write from '../../connectors/import/write';
import type * as ProviderFiles from '../../connectors/provider-files';

/*
 * The importers (json-schema-to-typescript, prettier, Ajv, the WSDL compiler) are loaded when a
 * provider command runs, not whenever `wasl` starts: `wasl start` should not pay for them.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand, as said above */
const load = {
  describe: () => require('../../connectors/import/describe') as typeof Describe,
  openapi: () => require('../../connectors/import/openapi') as typeof OpenApiImport,
  wsdl: () => require('../../connectors/import/wsdl') as typeof WsdlImport,
  write: () => require('../../connectors/import/write') as typeof Write,
  providerFiles: () => require('../../connectors/provider-files') as typeof ProviderFiles,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Same as connectors/provider-files DEFAULT_PROVIDERS_ROOT (not imported, see above). */
const DEFAULT_ROOT = path.resolve(__dirname, '..', '..', 'contracts', 'providers');

export const EXIT_NOT_WRITTEN = 3;

interface ImportOpts {
  wsdl?: string;
  openapi?: string;
  service?: string;
  port?: string;
  schemas?: string[];
  allowUnresolved?: boolean;
  yes?: boolean;
  root: string;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

async function importContract(code: string, opts: ImportOpts): Promise<ImportedContract> {
  if (!!opts.wsdl === !!opts.openapi) throw new Error('give exactly one contract: --wsdl <file|url> or --openapi <file|url>');
  if (opts.wsdl) {
    return load.wsdl().importWsdl(code, opts.wsdl, { service: opts.service, port: opts.port, schemas: opts.schemas, allowUnresolved: opts.allowUnresolved });
  }
  if (opts.service || opts.port || opts.schemas) throw new Error('--service, --port and --schemas apply to --wsdl only');
  return load.openapi().importOpenApi(code, opts.openapi as string, { allowUnresolved: opts.allowUnresolved });
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

async function runImport(code: string, opts: ImportOpts): Promise<void> {
  const root = path.resolve(opts.root);
  const imported = await importContract(code, opts);
  for (const w of imported.warnings) process.stderr.write(`warning: ${w}\n`);
  const { formatDiff, hasChanges, planProvider, writeProvider } = load.write();
  const plan = planProvider(root, code, imported);
  for (const n of plan.notes) process.stderr.write(`note: ${n}\n`);
  process.stdout.write(`${formatDiff(code, plan.diff)}\n`);
  if (!hasChanges(plan.diff)) return;
  let yes = !!opts.yes || plan.diff.fresh;
  if (!yes && process.stdin.isTTY && process.stdout.isTTY) yes = await confirm(`Overwrite ${plan.dir}? [y/N] `);
  if (!yes) {
    process.stderr.write(`not written: ${plan.dir} is unchanged; run again with --yes to overwrite it\n`);
    process.exitCode = EXIT_NOT_WRITTEN;
    return;
  }
  const result = await writeProvider(root, code, imported, { yes: true });
  process.stdout.write(`${result.status} ${result.dir}: ${imported.operations.length} operation(s)${imported.warnings.length ? `, ${imported.warnings.length} warning(s)` : ''}\n`);
}

function describeProvider(code: string, root: string): string {
  const { describeSchema } = load.describe();
  const p = load.providerFiles().loadProvider(code, path.resolve(root));
  const d = p.definition;
  const out: string[] = [];
  const contract = [d.contract.type, d.contract.file, d.contract.service && `service ${d.contract.service}`, d.contract.port && `port ${d.contract.port}`].filter(Boolean).join(', ');
  out.push(`${d.code} — ${d.names.en}${d.names.ar !== d.names.en ? ` / ${d.names.ar}` : ''}`);
  out.push(`  kind: ${d.kind}; contract: ${contract}${p.model ? `; SOAP ${p.model.soapVersion}` : ''}`);
  for (const [env, e] of Object.entries(d.environments)) if (e) out.push(`  ${env}: ${e.endpoint}`);
  const seenHeaders = new Map<string, string>();
  for (const [name, op] of Object.entries(p.operations)) {
    const b = op.binding;
    out.push('');
    out.push(`${name}${op.description ? ` — ${op.description}` : ''}`);
    if (b.protocol === 'soap') {
      const style = `${b.style as string}/literal${b.style === 'document' ? (b.wrapped ? ' wrapped' : ' bare') : ''}`;
      out.push(`  binding: SOAP ${b.soapVersion as string}, ${style}, SOAPAction ${JSON.stringify(b.soapAction ?? '')}${b.oneWay ? ', one-way' : ''}${b.attachments ? ', MIME attachments (referenced parts read as documents)' : ''}`);
      const headers = b.headers as { input?: { parts: Array<{ part: string; element: string; required: boolean }>; schema?: Record<string, unknown> }; output?: { parts: Array<{ part: string }> } } | undefined;
      const hin = headers?.input?.parts ?? [];
      if (hin.length) {
        // Contracts repeat the same headers on every operation: show them in full once.
        const key = JSON.stringify({ ...headers?.input, schema: { ...headers?.input?.schema, title: undefined } });
        const first = seenHeaders.get(key);
        if (first) out.push(`  SOAP headers: ${hin.map((h) => `${h.part}${h.required ? '' : '?'}`).join(', ')} (as for ${first})`);
        else {
          seenHeaders.set(key, name);
          out.push(`  SOAP headers (filled from configuration and the call context, not part of the input):`);
          out.push(...(headers?.input?.schema ? describeSchema(headers.input.schema, '    ') : hin.map((h) => `    ${h.part}${h.required ? '' : '?'}: ${h.element}`)));
        }
      }
      const hout = headers?.output?.parts ?? [];
      if (hout.length) out.push(`  response SOAP headers: ${hout.map((h) => h.part).join(', ')}`);
      const faults = Object.entries((b.faults ?? {}) as Record<string, string>);
      if (faults.length) out.push(`  faults: ${faults.map(([n, e]) => `${n} (${e})`).join(', ')}`);
    } else {
      const method = typeof b.method === 'string' ? b.method.toUpperCase() : undefined;
      if (method || b.path) out.push(`  binding: ${[method, b.path].filter(Boolean).join(' ')}`);
    }
    out.push(`  idempotent: ${op.idempotent ? 'yes' : 'no (retried only with an idempotency key)'}`);
    out.push('  input:');
    out.push(...describeSchema(op.inputSchema, '    '));
    out.push('  output:');
    out.push(...describeSchema(op.outputSchema, '    '));
  }
  // A REST provider without an OpenAPI document describes its operations by hand in provider.json.
  for (const [name, m] of Object.entries(d.operations ?? {})) {
    if (!m) continue;
    out.push('');
    out.push(`${name}${m.description ? ` — ${m.description}` : ''} (described by hand in provider.json)`);
    out.push(`  binding: ${m.method} ${m.path}`);
    for (const prm of m.parameters ?? []) out.push(`  ${prm.in} parameter ${prm.name}${prm.required || prm.in === 'path' ? '' : '?'}`);
    if (m.requestBody) {
      out.push(`  request body (${m.requestBody.mediaType ?? 'application/json'}):`);
      out.push(...describeSchema(m.requestBody.schema as Record<string, unknown>, '    '));
    }
    if (m.response) {
      out.push(`  response (${m.response.mediaType ?? 'application/json'}):`);
      out.push(...describeSchema(m.response.schema as Record<string, unknown>, '    '));
    }
  }
  if (p.model?.warnings.length) {
    out.push('');
    out.push('contract warnings:');
    for (const w of p.model.warnings) out.push(`  - ${w}`);
  }
  return `${out.join('\n')}\n`;
}

export function providerCommand(open?: () => Promise<Hub>): Command {
  const provider = new Command('provider').description('Provider contracts: import a WSDL or OpenAPI contract, describe its operations, call one');

  provider
    .command('import')
    .description(
      'Import a contract into contracts/providers/<code>/: the contract and its schemas, a JSON Schema per operation input and output, TypeScript types and provider.json. ' +
        "A new provider.json's sandbox endpoint is the simulator generated from the contract (a loopback port), never the contract's address, which becomes the production endpoint unless it is a placeholder (loopback, example hosts). " +
        'Re-importing shows what changed and overwrites only with --yes (or after asking, on a terminal). Exit 3: changes found, not written.',
    )
    .argument('<code>', 'provider code: lower-case letters, digits and dashes (e.g. moi-civil-registry)')
    .option('--wsdl <file|url>', 'a WSDL 1.1 contract (file or http(s) URL)')
    .option('--openapi <file|url>', 'an OpenAPI 3.0/3.1 document (file or http(s) URL)')
    .option('--service <name>', 'WSDL service to use, when the contract has several')
    .option('--port <name>', 'WSDL port to use (default: the first SOAP 1.1 port, or the only one)')
    .option('--schemas <dir>', 'a folder of schemas to resolve imports from, by file name or namespace (repeatable)', collect)
    .option('--allow-unresolved', 'import even when schemas or $refs cannot be found: their types become raw XML / any, each listed as a warning (a reference refused for leaving the contract\'s folder or origin is refused all the same)')
    .option('-y, --yes', 'overwrite an existing provider when the contract changed')
    .option('--root <dir>', 'providers folder', DEFAULT_ROOT)
    .action(async (code: string, opts: ImportOpts) => runImport(code, opts));

  provider
    .command('describe')
    .description('List a provider\'s operations with the shapes of their input and output, the SOAP headers they expect and their binding')
    .argument('<code>', 'provider code')
    .option('--root <dir>', 'providers folder', DEFAULT_ROOT)
    .action((code: string, opts: { root: string }) => {
      process.stdout.write(describeProvider(code, opts.root));
    });

  provider.addCommand(providerCallCommand());
  provider.addCommand(providerRecordCommand());
  provider.addCommand(providerCheckCommand());
  if (open) provider.addCommand(providerCallsCommand(open));

  return provider;
}
