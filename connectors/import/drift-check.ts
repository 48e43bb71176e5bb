/**
 * Checks one provider's contract for drift: fetches the contract its environment publishes (the
 * WSDL at `<endpoint>?wsdl`, the OpenAPI document at `<endpoint>/openapi.json`, or the URL given),
 * builds its model with the importer (connectors/import/wsdl.ts, openapi.ts: imports and xsd
 * includes followed on the same origin only, as an import by URL does), builds the model of the
 * contract kept in contracts/providers/<code>/contract/ the same way, and compares the two
 * (./drift.ts). Used by `wasl provider check` (hub/cli/provider-check.ts) and the hub's scheduled
 * check (hub/provider-drift.ts).
 *
 * The fetch has a size limit (5 MB by default) and timeouts, uses the environment's (else the
 * provider's) TLS settings — private CA, client certificate — and follows a redirect only on the
 * same origin: a redirect to another host is an error that names it (contract-references.ts).
 * Never throws: a failure is a report with `status: 'error'` and the stage that failed —
 * `provider` (the provider folder, the environment, a TLS secret), `fetch` (unreachable, HTTP
 * status, timeout, too large, redirected elsewhere) or `parse` (not a WSDL / OpenAPI document the
 * importer accepts). Messages name URLs and variables, never a secret.
 */
import path from 'node:path';
import type { ProviderDefinition } from '../../contracts/types';
import { FetchStatusError, OffOriginRedirect, withFetchSettings } from '../contract-references';
import type { TlsOptions } from '../http/client';
import { loadProvider } from '../provider-files';
import { secret as readEnvSecret } from '../secrets';
import { diffContracts, summarize, type ContractModel, type DriftChange, type DriftSummary } from './drift';
import { importOpenApi } from './openapi';
import type { ImportedContract } from './types';
import { importWsdl } from './wsdl';

export const DEFAULT_CHECK_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

export type CheckStatus = 'no-drift' | 'compatible' | 'breaking' | 'error';

export interface CheckReport {
  provider: string;
  environment?: string;
  kind?: 'soap' | 'rest';
  /** Where the contract was fetched. */
  url?: string;
  status: CheckStatus;
  summary: DriftSummary;
  changes: DriftChange[];
  /** Set when status is error: which stage failed, and why. */
  error?: { stage: 'provider' | 'fetch' | 'parse'; message: string };
  /** The importer's non-fatal findings about the fetched contract. */
  warnings: string[];
  checkedAt: string;
}

export interface CheckOptions {
  /** The providers folder (contracts/providers by default). */
  root?: string;
  /** The environment whose endpoint is asked (defaultEnvironment otherwise). */
  env?: string;
  /** Where to fetch the contract instead. */
  url?: string;
  maxBytes?: number;
  timeoutMs?: number;
  /** Reads a secret named in the provider file (connectors/secrets.ts by default). */
  readSecret?: (envName: string) => string;
  now?: () => Date;
}

/** The environment checked by default: `test` when the provider has one, else `production`; undefined when neither. */
export function defaultEnvironment(def: ProviderDefinition): string | undefined {
  const envs = def.environments as Record<string, { endpoint?: string } | undefined>;
  if (envs.test?.endpoint) return 'test';
  if (envs.production?.endpoint) return 'production';
  return undefined;
}

/** Where an environment publishes its contract: `<endpoint>?wsdl` (SOAP), `<endpoint>/openapi.json` (REST). */
export function contractUrl(kind: 'soap' | 'rest', endpoint: string): string {
  const u = new URL(endpoint);
  if (kind === 'soap') {
    u.hash = '';
    u.search = u.search ? `${u.search}&wsdl` : '?wsdl';
    return u.href;
  }
  u.search = '';
  u.hash = '';
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/openapi.json`;
  return u.href;
}

type Security = NonNullable<ProviderDefinition['security']>;

function tlsOf(security: Security | undefined, read: (name: string) => string): TlsOptions | undefined {
  const t = security?.tls;
  if (!t) return undefined;
  const out: TlsOptions = {};
  if (t.caEnv) out.ca = read(t.caEnv);
  if (t.certEnv) out.cert = read(t.certEnv);
  if (t.keyEnv) out.key = read(t.keyEnv);
  if (t.passphraseEnv) out.passphrase = read(t.passphraseEnv);
  if (t.rejectUnauthorized !== undefined) out.rejectUnauthorized = t.rejectUnauthorized;
  return out;
}

const FETCH_ERRORS = new Set(['TransportError', 'TimeoutError', 'FetchStatusError', 'OffOriginRedirect']);

/** Whether an importer's error is about getting the documents (rather than reading them). */
function isFetchError(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof FetchStatusError || e instanceof OffOriginRedirect || FETCH_ERRORS.has(e.constructor.name)) return true;
    // The size limit stops the download; the parser's other limits are about what was downloaded.
    if (e.constructor.name === 'UnsafeResponse' && (e as { limit?: unknown }).limit === 'size') return true;
    if ((e as { code?: unknown }).code === 'wsdl-unreachable') return true;
    if (/^fetching |redirects to another origin|\[other-origin\]/.test(e.message)) return true;
  }
  return false;
}

function model(c: ImportedContract): ContractModel {
  return { kind: c.kind, operations: c.operations, endpoints: c.endpoints };
}

export async function checkProvider(code: string, opts: CheckOptions = {}): Promise<CheckReport> {
  const now = opts.now ?? (() => new Date());
  const report: CheckReport = { provider: code, status: 'error', summary: { breaking: 0, compatible: 0 }, changes: [], warnings: [], checkedAt: now().toISOString() };
  const fail = (stage: 'provider' | 'fetch' | 'parse', message: string): CheckReport => {
    report.error = { stage, message };
    report.checkedAt = now().toISOString();
    return report;
  };

  // The provider as kept, and the model of its imported contract.
  let def: ProviderDefinition;
  let kept: ContractModel;
  let dir: string;
  try {
    const loaded = loadProvider(code, ...(opts.root ? [path.resolve(opts.root)] : []));
    def = loaded.definition;
    dir = loaded.dir;
  } catch (err) {
    return fail('provider', (err as Error).message);
  }
  report.kind = def.kind;
  const contract = def.contract;
  if (contract.type === 'manual' || !contract.file) return fail('provider', `provider ${code} has no imported contract to compare (contract.type ${contract.type}): its operations are described by hand`);
  const file = path.join(dir, contract.file);
  try {
    kept = model(
      contract.type === 'wsdl'
        ? await importWsdl(code, file, { service: contract.service, port: contract.port, schemas: [path.join(dir, 'contract')], allowUnresolved: true })
        : await importOpenApi(code, file, { allowUnresolved: true }),
    );
  } catch (err) {
    return fail('provider', `the imported contract ${contract.file} does not load: ${(err as Error).message}`);
  }

  // Where to fetch, and with which TLS settings.
  const envName = opts.env ?? defaultEnvironment(def);
  const envs = def.environments as Record<string, { endpoint: string; security?: Security } | undefined>;
  const env = envName ? envs[envName] : undefined;
  if (envName) report.environment = envName;
  if (!env && !opts.url) {
    return fail('provider', envName ? `provider ${code} has no ${envName} environment (it has: ${Object.keys(envs).join(', ')})` : `provider ${code} has neither a test nor a production environment: give --env sandbox or --url`);
  }
  let url: string;
  try {
    url = opts.url ? new URL(opts.url).href : contractUrl(def.kind, (env as { endpoint: string }).endpoint);
  } catch {
    return fail('provider', `not a valid URL: ${opts.url ?? env?.endpoint}`);
  }
  if (!/^https?:$/.test(new URL(url).protocol)) return fail('provider', `only http(s) URLs are fetched, not ${new URL(url).protocol}`);
  report.url = url;
  let tls: TlsOptions | undefined;
  try {
    tls = tlsOf(env?.security ?? def.security, opts.readSecret ?? readEnvSecret);
  } catch (err) {
    return fail('provider', `TLS settings: ${(err as Error).message}`);
  }

  // The published contract, through the importer, under the check's limits.
  let fetched: ImportedContract;
  try {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    fetched = await withFetchSettings({ ...(tls ? { tls } : {}), maxBytes: opts.maxBytes ?? DEFAULT_CHECK_MAX_BYTES, timeoutMs, connectTimeoutMs: Math.min(timeoutMs, 10_000) }, () =>
      contract.type === 'wsdl' ? importWsdl(code, url, { service: contract.service, port: contract.port, allowUnresolved: true }) : importOpenApi(code, url, { allowUnresolved: true }),
    );
  } catch (err) {
    return fail(isFetchError(err) ? 'fetch' : 'parse', `${url}: ${(err as Error).message}`);
  }
  report.warnings = fetched.warnings;
  if (fetched.kind !== kept.kind) return fail('parse', `${url} is a ${fetched.contractType} contract, the provider's is ${contract.type}`);

  const changes = diffContracts(kept, model(fetched));
  report.changes = changes;
  report.summary = summarize(changes);
  report.status = report.summary.breaking > 0 ? 'breaking' : changes.length > 0 ? 'compatible' : 'no-drift';
  report.checkedAt = now().toISOString();
  return report;
}

/** `wasl provider check`'s exit code: 0 no drift or only compatible changes, 1 breaking, 2 error. */
export function exitCodeOf(report: CheckReport): 0 | 1 | 2 {
  return report.status === 'error' ? 2 : report.status === 'breaking' ? 1 : 0;
}
