/**
 * Configuration, from environment variables only (README, "Configuration"). Read once at start;
 * anything wrong stops the hub with a message naming the variable.
 */
import { join, resolve } from 'node:path';
import { createAjv, pointErrors } from '../contracts';
import type { ChannelKind } from '../contracts/types';
import { DEFAULT_FULFILMENT_FILE } from './fulfilment';
import { ConfigError, type WaslEnv } from './environment';
import { parseOperators, type Operator } from './operators';
import { DEFAULT_SHARDS, MAX_SHARDS } from './audit/chain';
import { AuditKeyError, parseChainKey } from './audit/keys';
import { CertificateKeyError, parseSigningKey, parseTrustedKeys } from './certificate-keys';
import { DEFAULT_DOCUMENT_RETENTION_DAYS, MAX_DOCUMENT_RETENTION_DAYS } from './documents/retention';

export { ConfigError, type WaslEnv } from './environment';

export interface ChannelKey {
  channel: string;
  key: string;
  /** Service codes this channel may submit, or ["*"]. */
  services: string[];
  /** centre, portal or expat-portal; by default the channel's own name when it is one of them, else centre. */
  kind: ChannelKind;
  /** Requests per minute; defaults to WASL_RATE_LIMIT. */
  rateLimit?: number;
  /** May list and read every channel's orders (a back office), not only its own. */
  readAll?: boolean;
}

export interface HubConfig {
  env: WaslEnv;
  host: string;
  port: number;
  databaseUrl?: string;
  /** RabbitMQ; the embedded queue in the SQLite database when absent. */
  amqpUrl?: string;
  dataDir: string;
  flowsDir: string;
  /** Payment and delivery configuration (WASL_FULFILMENT_CONFIG; config/fulfilment.json by default). */
  fulfilmentFile: string;
  /** Where providers call the hub back (WASL_PUBLIC_URL); http://127.0.0.1:<port> when unset. */
  publicUrl?: string;
  /** Host names the hub answers to besides loopback names and the public URL's (WASL_ALLOWED_HOSTS). */
  allowedHosts?: string[];
  /** Core Node-RED node types added to the flows' allow-list (WASL_EXTRA_NODE_TYPES; hub/runtime/node-types.ts). */
  extraNodeTypes?: string[];
  /** Undefined when WASL_CHANNEL_KEYS is unset: the sandbox then makes a demo key. */
  channelKeys?: ChannelKey[];
  secret?: string;
  /** How many days the operational records of provider calls are kept (WASL_CALL_RECORDS_DAYS, 30). */
  callRecordsDays?: number;
  /** How many days a document's content is kept when its service sets no `documents.retentionDays` (WASL_DOCUMENT_RETENTION_DAYS, 90; hub/documents/retention.ts). */
  documentRetentionDays?: number;
  /** How often, in minutes, the process with the relay role deletes the content of documents past their retention (WASL_DOCUMENT_PURGE_MINUTES, 60; 0: never). */
  documentPurgeMinutes?: number;
  /** How often, in minutes, the providers' published contracts are checked for drift (WASL_PROVIDER_CHECK_MINUTES; 0 or unset: never; hub/provider-drift.ts). */
  providerCheckMinutes?: number;
  /** The bearer token Prometheus presents at GET /metrics (WASL_METRICS_TOKEN); operators may use their login instead. */
  metricsToken?: string;
  /** Where a process without the gateway (`wasl worker`) serves GET /metrics (WASL_METRICS_PORT); unset: it serves none. */
  metricsPort?: number;
  /** Who may log in to the flows editor and admin API (WASL_OPERATORS, hub/operators.ts); undefined when unset. */
  operators?: Operator[];
  /** Providers whose exchange bodies the audit trail keeps, encrypted with WASL_SECRET (WASL_AUDIT_BODIES: codes, comma-separated, or "*"). */
  auditBodies?: string[];
  /**
   * The public keys whose signatures make a certificate trusted (WASL_CERT_TRUSTED_KEYS, base64 of
   * SPKI DER; hub/certificate-keys.ts). Required in production; with them a certificate holds only
   * when signed by one of them for exactly its content (hub/lifecycle.ts, certificateTrust).
   */
  certTrustedKeys?: string[];
  /** QA's key to sign the certificates `wasl sandbox test` issues (WASL_CERT_SIGNING_KEY, base64 of PKCS#8 DER); never in production. */
  certSigningKey?: string;
  /** The audit trail's keys, shards, seals and witness (hub/audit/, docs/audit.md). */
  audit: AuditConfig;
  logLevel: string;
  bodyLimit: number;
  rateLimitPerMinute: number;
}

export interface AuditConfig {
  /** WASL_AUDIT_KEY: the chain key (64 hex digits); derived from WASL_SECRET when unset. */
  key?: string;
  /** WASL_AUDIT_OLD_KEYS: chain keys of earlier rotations, for verification. */
  oldKeys?: string;
  /** WASL_AUDIT_SIGNING_KEY: the seals' Ed25519 key; derived from the chain key when unset. */
  signingKey?: string;
  /** WASL_AUDIT_TRUSTED_KEYS: public keys whose seals `verify` accepts besides this hub's own (a rotated seal key). */
  trustedKeys?: string[];
  /** WASL_AUDIT_SHARDS (16): chains for the records other than operator actions. */
  shards: number;
  /** WASL_AUDIT_SEAL_MINUTES (5): how often the heads are sealed; 0: only at shutdown and by `wasl audit seal`. */
  sealMinutes: number;
  /** WASL_AUDIT_WITNESS: the append-only file seals are written to (<data dir>/audit-witness.jsonl by default). */
  witnessFile: string;
  /** WASL_AUDIT_WITNESS_URL: a remote log collector each seal is POSTed to. */
  witnessUrl?: string;
}

const channelKeysSchema = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['channel', 'key', 'services'],
    properties: {
      channel: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' },
      key: { type: 'string', minLength: 24, maxLength: 256, pattern: '^[\\x21-\\x7E]+$' },
      services: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^(\\*|[a-z][a-z0-9-]{2,63})$' } },
      kind: { enum: ['centre', 'portal', 'expat-portal'] },
      rateLimit: { type: 'integer', minimum: 1 },
      readAll: { type: 'boolean' },
    },
  },
} as const;

const validateKeys = createAjv().compile(channelKeysSchema);

function auditBodies(raw: string | undefined, secret: string | undefined): { auditBodies?: string[] } {
  const codes = (raw ?? '').split(',').map((c) => c.trim()).filter(Boolean);
  if (codes.length === 0) return {};
  const bad = codes.find((c) => c !== '*' && !/^[a-z][a-z0-9-]{1,63}$/.test(c));
  if (bad) throw new ConfigError(`WASL_AUDIT_BODIES must be provider codes separated by commas, or "*", not "${bad}"`);
  // Bodies hold citizens' data: kept only encrypted, so only with the key.
  if (!secret) throw new ConfigError('WASL_AUDIT_BODIES needs WASL_SECRET: the bodies are kept encrypted with it');
  return { auditBodies: codes };
}

/**
 * The release gate's keys (docs/release.md): production trusts only the public keys it is given and
 * refuses to start without one; it never holds QA's signing key. Never echoes a key.
 */
function certificateKeys(env: NodeJS.ProcessEnv, waslEnv: WaslEnv): { certTrustedKeys?: string[]; certSigningKey?: string } {
  const read = <T>(name: string, parse: (v: string) => T): T => {
    try {
      return parse(env[name]!);
    } catch (err) {
      if (!(err instanceof CertificateKeyError)) throw err;
      throw new ConfigError(`${name} is invalid: ${err.message} (keys from \`wasl cert keygen\`)`);
    }
  };
  const trusted = env.WASL_CERT_TRUSTED_KEYS?.trim() ? read('WASL_CERT_TRUSTED_KEYS', parseTrustedKeys) : undefined;
  const signing = env.WASL_CERT_SIGNING_KEY?.trim() ? read('WASL_CERT_SIGNING_KEY', parseSigningKey) : undefined;
  if (waslEnv === 'production') {
    if (!trusted?.length) {
      throw new ConfigError(
        'WASL_CERT_TRUSTED_KEYS is required in production: the public keys of the QA keys that sign certificates (wasl cert keygen); without one no service\'s certificate can be trusted — ' +
          'المتغير WASL_CERT_TRUSTED_KEYS مطلوب في بيئة الإنتاج: المفاتيح العامة لمفاتيح فريق ضمان الجودة التي توقّع الشهادات؛ لا يمكن الوثوق بشهادة أي خدمة من دونه',
      );
    }
    if (signing) throw new ConfigError('WASL_CERT_SIGNING_KEY must not be set in production: QA alone holds the key that signs certificates; production holds only the public keys (WASL_CERT_TRUSTED_KEYS)');
  }
  return { ...(trusted?.length ? { certTrustedKeys: trusted } : {}), ...(signing ? { certSigningKey: signing } : {}) };
}

/** The audit settings of an environment (WASL_AUDIT_*), for a data directory. */
export function auditConfig(env: NodeJS.ProcessEnv, dataDir: string): AuditConfig {
  const check = (name: string, parse: () => unknown) => {
    try {
      parse();
    } catch (err) {
      if (!(err instanceof CertificateKeyError) && !(err instanceof AuditKeyError)) throw err;
      throw new ConfigError(`${name} is invalid: ${err.message}`);
    }
  };
  const key = env.WASL_AUDIT_KEY?.trim() || undefined;
  if (key) check('WASL_AUDIT_KEY', () => parseChainKey(key));
  const oldKeys = env.WASL_AUDIT_OLD_KEYS?.trim() || undefined;
  if (oldKeys) check('WASL_AUDIT_OLD_KEYS', () => oldKeys.split(',').filter((k) => !k.trim().startsWith('secret:') && k.trim()).forEach((k) => parseChainKey(k, 'WASL_AUDIT_OLD_KEYS')));
  const signingKey = env.WASL_AUDIT_SIGNING_KEY?.trim() || undefined;
  if (signingKey) check('WASL_AUDIT_SIGNING_KEY', () => parseSigningKey(signingKey));
  let trustedKeys: string[] | undefined;
  if (env.WASL_AUDIT_TRUSTED_KEYS?.trim()) check('WASL_AUDIT_TRUSTED_KEYS', () => (trustedKeys = parseTrustedKeys(env.WASL_AUDIT_TRUSTED_KEYS!)));
  const witnessUrl = env.WASL_AUDIT_WITNESS_URL?.trim() || undefined;
  if (witnessUrl && !/^https?:\/\//.test(witnessUrl)) throw new ConfigError('WASL_AUDIT_WITNESS_URL must be an http:// or https:// URL');
  return {
    ...optional('key', key),
    ...optional('oldKeys', oldKeys),
    ...optional('signingKey', signingKey),
    ...optional('trustedKeys', trustedKeys),
    shards: int(env, 'WASL_AUDIT_SHARDS', DEFAULT_SHARDS, 1, MAX_SHARDS),
    sealMinutes: int(env, 'WASL_AUDIT_SEAL_MINUTES', 5, 0, 24 * 60),
    witnessFile: resolve(env.WASL_AUDIT_WITNESS || join(dataDir, 'audit-witness.jsonl')),
    ...optional('witnessUrl', witnessUrl),
  };
}

function int(env: NodeJS.ProcessEnv, name: string, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  return n;
}

export function parseChannelKeys(raw: string): ChannelKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('WASL_CHANNEL_KEYS is not valid JSON: expected an array of {"channel","key","services"}');
  }
  if (!validateKeys(parsed)) {
    // Never echo the value: it holds keys.
    const where = pointErrors(validateKeys.errors).map((e) => `${e.pointer} ${e.message}`).join('; ');
    throw new ConfigError(`WASL_CHANNEL_KEYS is invalid: ${where}`);
  }
  const entries = parsed as Array<Omit<ChannelKey, 'kind'> & { kind?: ChannelKind }>;
  const names = new Set<string>();
  const keys = new Set<string>();
  for (const e of entries) {
    if (names.has(e.channel)) throw new ConfigError(`WASL_CHANNEL_KEYS names channel "${e.channel}" twice`);
    if (keys.has(e.key)) throw new ConfigError(`WASL_CHANNEL_KEYS gives the same key to two channels (second: "${e.channel}")`);
    names.add(e.channel);
    keys.add(e.key);
  }
  return entries.map((e) => ({ ...e, kind: e.kind ?? defaultKind(e.channel) }));
}

function defaultKind(channel: string): ChannelKind {
  return channel === 'portal' || channel === 'expat-portal' ? channel : 'centre';
}

function publicUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError('WASL_PUBLIC_URL must be an absolute http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError('WASL_PUBLIC_URL must be an absolute http(s) URL');
  return u.toString().replace(/\/$/, '');
}

function names(env: NodeJS.ProcessEnv, name: string, pattern: RegExp, what: string): string[] | undefined {
  const list = (env[name] ?? '').split(',').map((v) => v.trim()).filter(Boolean);
  if (list.length === 0) return undefined;
  const bad = list.find((v) => !pattern.test(v));
  if (bad !== undefined) throw new ConfigError(`${name} must be ${what} separated by commas, not "${bad}"`);
  return list;
}

function metricsToken(raw: string): string {
  if (!/^[\x21-\x7E]{24,256}$/.test(raw)) throw new ConfigError('WASL_METRICS_TOKEN must be 24 to 256 printable characters without spaces');
  return raw;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): HubConfig {
  const waslEnv = env.WASL_ENV ?? 'sandbox';
  if (waslEnv !== 'sandbox' && waslEnv !== 'production') throw new ConfigError(`WASL_ENV must be sandbox or production, not "${waslEnv}"`);
  const secret = env.WASL_SECRET || undefined;
  if (waslEnv === 'production' && !secret) throw new ConfigError('WASL_SECRET is required in production: it encrypts provider credentials');
  if (secret && secret.length < 32) throw new ConfigError('WASL_SECRET must be at least 32 characters');
  const channelKeys = env.WASL_CHANNEL_KEYS ? parseChannelKeys(env.WASL_CHANNEL_KEYS) : undefined;
  if (waslEnv === 'production' && !channelKeys) throw new ConfigError('WASL_CHANNEL_KEYS is required in production');
  const certKeys = certificateKeys(env, waslEnv);
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  const dataDir = resolve(env.WASL_DATA_DIR || 'data');
  const amqpUrl = env.AMQP_URL || undefined;
  if (amqpUrl && !/^amqps?:\/\//.test(amqpUrl)) throw new ConfigError('AMQP_URL must be an amqp:// or amqps:// URL');
  return {
    env: waslEnv,
    amqpUrl,
    // The sandbox is reachable from this machine only unless asked otherwise (startHub refuses
    // another address without operators); a production hub serves its network.
    host: env.HOST || (waslEnv === 'sandbox' ? '127.0.0.1' : '0.0.0.0'),
    port: int(env, 'PORT', 8080, 0, 65535),
    databaseUrl,
    dataDir,
    flowsDir: resolve(env.WASL_FLOWS_DIR || resolve(__dirname, '..', 'flows')),
    fulfilmentFile: resolve(env.WASL_FULFILMENT_CONFIG || DEFAULT_FULFILMENT_FILE),
    ...(env.WASL_PUBLIC_URL ? { publicUrl: publicUrl(env.WASL_PUBLIC_URL) } : {}),
    ...optional('allowedHosts', names(env, 'WASL_ALLOWED_HOSTS', /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$/, 'host names or addresses (no port, no scheme)')),
    ...optional('extraNodeTypes', names(env, 'WASL_EXTRA_NODE_TYPES', /^[a-z][a-z0-9 -]{0,63}$/, 'Node-RED node types')),
    channelKeys,
    secret,
    ...(env.WASL_OPERATORS ? { operators: parseOperators(env.WASL_OPERATORS) } : {}),
    ...(env.WASL_METRICS_TOKEN ? { metricsToken: metricsToken(env.WASL_METRICS_TOKEN) } : {}),
    ...(env.WASL_METRICS_PORT ? { metricsPort: int(env, 'WASL_METRICS_PORT', 0, 0, 65535) } : {}),
    ...auditBodies(env.WASL_AUDIT_BODIES, secret),
    ...certKeys,
    audit: auditConfig(env, dataDir),
    callRecordsDays: int(env, 'WASL_CALL_RECORDS_DAYS', 30, 1, 3650),
    documentRetentionDays: int(env, 'WASL_DOCUMENT_RETENTION_DAYS', DEFAULT_DOCUMENT_RETENTION_DAYS, 1, MAX_DOCUMENT_RETENTION_DAYS),
    documentPurgeMinutes: int(env, 'WASL_DOCUMENT_PURGE_MINUTES', 60, 0, 7 * 24 * 60),
    ...(env.WASL_PROVIDER_CHECK_MINUTES ? { providerCheckMinutes: int(env, 'WASL_PROVIDER_CHECK_MINUTES', 0, 0, 7 * 24 * 60) } : {}),
    logLevel: env.WASL_LOG_LEVEL || 'info',
    bodyLimit: int(env, 'WASL_BODY_LIMIT', 256 * 1024, 1024, 16 * 1024 * 1024),
    rateLimitPerMinute: int(env, 'WASL_RATE_LIMIT', 6000, 1),
  };
}
