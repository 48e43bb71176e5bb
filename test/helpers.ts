/** Shared test fixtures: valid requests, hubs on in-memory stores, and the real servers when present. */
import { DEFAULT_FULFILMENT_FILE } from '../hub/fulfilment';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import type { OrderRequest } from '../contracts/types';
import { auditConfig, type ChannelKey, type HubConfig } from '../hub/config';
import { createHub, type Hub, type HubOptions } from '../hub/hub';
import { createLogger } from '../hub/log';
import { SqliteStore } from '../hub/store/sqlite';
import { certificateReader } from '../sandbox/certificate';
import { auditKeysOf, type Store } from '../hub/store';
import { join, resolve } from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

export const FLOWS_DIR = resolve(__dirname, '..', 'flows');

export const KEYS = {
  centre: { channel: 'centre-dam-01', key: 'k-centre-0123456789abcdefghij', services: ['*'], kind: 'centre' },
  portal: { channel: 'portal', key: 'k-portal-0123456789abcdefghijk', services: ['civil-registry-individual-extract', 'vehicle-ownership-statement'], kind: 'portal' },
  expat: { channel: 'expat-portal', key: 'k-expat-0123456789abcdefghijkl', services: ['*'], kind: 'expat-portal' },
  backOffice: { channel: 'back-office', key: 'k-office-0123456789abcdefghijk', services: ['*'], kind: 'centre', readAll: true },
} satisfies Record<string, ChannelKey>;

export const auth = (k: Pick<ChannelKey, 'key'>) => ({ authorization: `Bearer ${k.key}` });

/** The test citizen: tests scan logs for these values to prove they never appear in clear. */
export const CITIZEN = {
  nationalNumber: '03110987654',
  fullNameAr: 'هبة نزار القاسم',
  fullNameLatin: 'Hiba Nizar Al-Qasem',
  fatherName: 'نزار',
  motherName: 'وداد',
  phone: '+963933765432',
  email: 'hiba.qasem@example.org',
  address: 'المزة فيلات غربية، جادة ٣، بناء ٧',
};

export function validRequest(overrides: Partial<OrderRequest> = {}): OrderRequest {
  return {
    service: 'civil-registry-individual-extract',
    centre: { code: 'DAM-01', governorate: 'damascus' },
    applicant: {
      nationalNumber: CITIZEN.nationalNumber,
      fullName: { ar: CITIZEN.fullNameAr, latin: CITIZEN.fullNameLatin },
      fatherName: CITIZEN.fatherName,
      motherName: CITIZEN.motherName,
      birthDate: '1988-09-21',
      phone: CITIZEN.phone,
      email: CITIZEN.email,
    },
    fields: { purpose: 'employment', copies: 2 },
    delivery: { method: 'domestic-post', governorate: 'damascus', city: 'دمشق', address: CITIZEN.address },
    ...overrides,
  };
}

/**
 * A production hub needs the secrets its payment and postal providers sign callbacks with
 * (named by their provider files); tests that start one in production set these first, and put
 * the environment back after (the returned function): later tests' simulators read it.
 */
export function setProviderCallbackSecrets(): () => void {
  const names = ['SY_EPAY_CALLBACK_SECRET', 'INTL_PAY_WEBHOOK_SECRET', 'SY_POST_CALLBACK_SECRET'];
  const saved = names.map((n) => process.env[n]);
  for (const name of names) process.env[name] ??= `test-secret-${name.toLowerCase()}-0123456789`;
  return () =>
    names.forEach((n, i) => {
      if (saved[i] === undefined) delete process.env[n];
      else process.env[n] = saved[i];
    });
}

/**
 * The repository's test QA key pair (test/fixtures/release-keys.json, docs/release.md): the
 * catalogue's certificates are signed with it, and production hubs of the tests trust its public
 * key. Its private key is in the repository: no real hub may trust it.
 */
export const TEST_CERT_KEYS = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'release-keys.json'), 'utf8')) as { keyId: string; signingKey: string; publicKey: string };

/** A production hub trusts only the certificates signed by a key of WASL_CERT_TRUSTED_KEYS: the tests' own, unless a test says otherwise. */
export function testConfig(overrides: Partial<HubConfig> = {}): HubConfig {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'wasl-test-data-'));
  return {
    ...(overrides.env === 'production' ? { certTrustedKeys: [TEST_CERT_KEYS.publicKey] } : {}),
    env: 'sandbox',
    host: '127.0.0.1',
    port: 0,
    dataDir,
    audit: auditConfig({}, dataDir),
    flowsDir: FLOWS_DIR,
    fulfilmentFile: DEFAULT_FULFILMENT_FILE,
    channelKeys: Object.values(KEYS),
    logLevel: 'info',
    bodyLimit: 256 * 1024,
    rateLimitPerMinute: 100_000,
    ...overrides,
  };
}

/** Collects every log line a hub writes, to assert on them. */
export class LogSink extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  get records(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export interface TestHub extends Hub {
  logs: LogSink;
}

export async function testHub(overrides: Partial<HubConfig> = {}, store?: Store, opts: Omit<HubOptions, 'store' | 'logger'> = {}): Promise<TestHub> {
  const logs = new LogSink();
  const config = testConfig(overrides);
  // Certificates are read as `wasl` reads them (the sandbox's reader, handed in at start).
  const hub = await createHub(config, { certificates: certificateReader, ...opts, logger: createLogger(config.logLevel, logs), store: store ?? new SqliteStore({ file: ':memory:', audit: { keys: auditKeysOf(config), shards: config.audit.shards } }) });
  return Object.assign(hub, { logs });
}

let key = 0;
export const newKey = (): string => `test-${process.pid}-${Date.now()}-${++key}`;

// ---- Real servers: PostgreSQL (and, in later issues, RabbitMQ) ----

export const PG_URL = process.env.WASL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const required = process.env.WASL_REQUIRE_SERVICES === '1';
let pgReachable: Promise<string | undefined> | undefined;

async function probePg(): Promise<string | undefined> {
  const c = new Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Skips the calling suite when PostgreSQL is absent — or fails it when WASL_REQUIRE_SERVICES=1. */
export async function requirePostgres(ctx: Mocha.Context): Promise<void> {
  const why = await (pgReachable ??= probePg());
  if (!why) return;
  if (required) throw new Error(`PostgreSQL is required (WASL_REQUIRE_SERVICES=1) but not reachable at ${PG_URL}: ${why}`);
  console.log(`      (skipped: PostgreSQL not reachable at ${PG_URL}: ${why})`);
  ctx.skip();
}

export async function dropSchema(schema: string): Promise<void> {
  const c = new Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}
