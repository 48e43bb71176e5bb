/**
 * A service's lifecycle — draft → certified → live → retired — and its release gate
 * (docs/release.md): a service goes live only on a certificate that holds for what it depends on
 * as it is now and, where the hub trusts keys (production always), is signed by one of them. What
 * a certificate covers and how it is verified is the sandbox's business (sandbox/certificate.ts);
 * the hub receives a reader of certificates at start (CertificateReader) and imports nothing of
 * the sandbox; whose signatures it trusts is the hub's (WASL_CERT_TRUSTED_KEYS: certificateTrust).
 * The definition's lifecycle member says where a service is; every change is kept, with who made
 * it, when and on which certificate, in flows/<code>/lifecycle.json, and every gate action
 * (certify, promote, retire, a refusal to start a service) is an audit record (gateAuditEntry).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_PROVIDERS_ROOT } from '../connectors/provider-files';
import type { CertificateSummary, DependencyChange, Lifecycle, LifecycleChange, ServiceDefinition } from '../contracts/types';
import type { AuditEntry, AuditRecord } from './audit/chain';
import type { WaslEnv } from './environment';

/** DependencyChange: one thing a certificate covers that is not what was certified, by kind and name (contracts/service.schema.json). */
export type { DependencyChange, LifecycleChange };

/** Where services' files are: what a certificate covers, and what the paths in it are relative to. */
export interface ServiceRoots {
  /** flows/ */
  flowsDir: string;
  /** contracts/providers/ */
  providersRoot: string;
  /** What file paths in a certificate are relative to (the repository). */
  base: string;
  /** The payment and delivery configuration (HubConfig.fulfilmentFile): which payment and postal providers a service's fulfilment calls. config/fulfilment.json when unset. */
  fulfilmentFile?: string;
}

/** The roots of the services of a flows folder, their providers under contracts/providers. */
export function serviceRoots(flowsDir: string, providersRoot = DEFAULT_PROVIDERS_ROOT, fulfilmentFile?: string): ServiceRoots {
  return { flowsDir, providersRoot, base: resolve(flowsDir, '..'), ...(fulfilmentFile ? { fulfilmentFile } : {}) };
}

/**
 * Whose signatures make a certificate trusted. Given to CertificateReader.check and .summary: a
 * certificate then holds only when it carries a signature by one of these keys over exactly its
 * content (and, as always, what it covers is unchanged). Without it (the sandbox without keys),
 * only the digest is checked.
 */
export interface CertificateTrust {
  /** Ed25519 public keys, base64 of their SPKI DER (hub/certificate-keys.ts). */
  publicKeys: readonly string[];
}

/**
 * The trust a hub checks certificates with: the keys of WASL_CERT_TRUSTED_KEYS (hub/config.ts), in
 * any environment where they are set; none in a sandbox without them. A production configuration
 * without them is refused here too (loadConfig refuses it first), never read as "check nothing".
 */
export function certificateTrust(config: { env: WaslEnv; certTrustedKeys?: readonly string[] }): CertificateTrust | undefined {
  if (config.certTrustedKeys?.length) return { publicKeys: config.certTrustedKeys };
  if (config.env === 'production') throw new LifecycleError('WASL_CERT_TRUSTED_KEYS is required in production: no certificate can be trusted without the public key of the QA key that signed it');
  return undefined;
}

/** A lifecycle change refused: a certificate that does not hold (CertificateReader.check), a definition it cannot change. */
export class LifecycleError extends Error {
  override name = 'LifecycleError';
  constructor(
    message: string,
    /** What is not what was certified (added, changed or gone): a file's path, else "<kind> <name>". */
    readonly changed: string[] = [],
    /** The same, each dependency with its kind, name and how it changed. */
    readonly dependencies: DependencyChange[] = [],
  ) {
    super(message);
  }
}

/**
 * Reads and verifies services' certificates; the sandbox's (sandbox/certificate.ts) is handed to
 * the hub at start. A production hub checks its live services with it, operators see each
 * certificate in GET /v1/services, and promotion is refused without one that holds. Pass the
 * hub's trust (certificateTrust(config)) wherever it has one: production always does.
 */
export interface CertificateReader {
  /**
   * Why the service's certificate does not hold, or undefined when it does: there is none, it
   * records failures, it was edited (its digest is not that of what it lists), something it covers
   * changed since (`changed`, `dependencies` say what); and with `trust`: it is unsigned, signed
   * by a key not trusted, or its signature is not for exactly its content.
   */
  check(code: string, roots: ServiceRoots, trust?: CertificateTrust): LifecycleError | undefined;
  /** The certificate as an operator sees it, with whether it holds (checked as `check` does, with the same trust); undefined when there is none. */
  summary(code: string, roots: ServiceRoots, trust?: CertificateTrust): CertificateSummary | undefined;
}

const lifecycleFile = (code: string, roots: ServiceRoots) => join(roots.flowsDir, code, 'lifecycle.json');

export function lifecycleHistory(code: string, roots: ServiceRoots): LifecycleChange[] {
  const f = lifecycleFile(code, roots);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as LifecycleChange[]) : [];
}

/** Makes a certified service live; refuses, with the reader's reason, when its certificate does not hold (with `trust`: is not signed by a trusted key). */
export function promote(code: string, roots: ServiceRoots, by: string, certificates: CertificateReader, now = new Date(), trust?: CertificateTrust): LifecycleChange {
  const problem = certificates.check(code, roots, trust);
  if (problem) throw problem;
  return setLifecycle(code, 'live', roots, by, certificates.summary(code, roots, trust)!.digest, now);
}

export function retire(code: string, roots: ServiceRoots, by: string, now = new Date()): LifecycleChange {
  return setLifecycle(code, 'retired', roots, by, undefined, now);
}

/**
 * The lifecycle after a certificate was issued (sandbox/certificate.ts): a live service certified
 * again on the very files it was promoted with stays live; a retired one stays retired; anything
 * else (a draft, or a live service whose files changed) becomes certified and waits for a
 * promotion. The change made, if any.
 */
export function recordCertification(code: string, roots: ServiceRoots, by: string, digest: string, now = new Date()): LifecycleChange | undefined {
  const def = JSON.parse(readFileSync(join(roots.flowsDir, code, 'service.json'), 'utf8')) as ServiceDefinition;
  const lastLive = lifecycleHistory(code, roots).filter((c) => c.lifecycle === 'live').at(-1);
  const unchangedLive = def.lifecycle === 'live' && lastLive?.digest === digest;
  if (unchangedLive || def.lifecycle === 'retired') return undefined;
  return setLifecycle(code, 'certified', roots, by, digest, now);
}

function setLifecycle(code: string, lifecycle: Lifecycle, roots: ServiceRoots, by: string, digest: string | undefined, now: Date): LifecycleChange {
  const defFile = join(roots.flowsDir, code, 'service.json');
  const text = readFileSync(defFile, 'utf8');
  const def = JSON.parse(text) as ServiceDefinition;
  // Only the lifecycle member changes, in place, so the file keeps its layout for review.
  const updated = text.replace(/("lifecycle"\s*:\s*)"[a-z]+"/, `$1"${lifecycle}"`);
  if (updated === text && def.lifecycle !== lifecycle) throw new LifecycleError(`${defFile} has no lifecycle member to change`);
  writeFileSync(defFile, updated);
  const change: LifecycleChange = { lifecycle, at: now.toISOString(), by, ...(digest ? { digest } : {}) };
  writeFileSync(lifecycleFile(code, roots), `${JSON.stringify([...lifecycleHistory(code, roots), change], null, 2)}\n`);
  return change;
}

/** The actions of the release gate, each an audit record: a certificate issued, a service made live or retired, a live service a hub refused to start. */
export type GateAction = 'certify' | 'promote' | 'retire' | 'refuse-start';

/**
 * The audit record of a gate action on a service: `operator.action` about `service:<code>`, with
 * `data.action` and `data.service`, and what else says it (the certificate's digest, its signing
 * key, the reason of a refusal and what changed). `actor` is `operator:<name>` for a person (QA
 * certifying, release promoting), `system:<component>` for the hub itself (a refusal to start:
 * `system:release-gate`).
 * Append it to the store's audit trail (AuditStore.appendAudit); `wasl service status <code>`
 * shows these records beside the lifecycle history (serviceHistory).
 */
export function gateAuditEntry(action: GateAction, code: string, actor: string, at: string, data: Record<string, unknown> = {}): AuditEntry {
  return { at, kind: 'operator.action', actor, subject: `service:${code}`, data: { action, service: code, ...data } };
}

/** One line of a service's history: from its lifecycle file, its audit records, or both (the same action). */
export interface GateEvent {
  at: string;
  action: GateAction | string;
  /** Who: the name in the lifecycle file, or the audit record's actor. */
  by: string;
  lifecycle?: Lifecycle;
  /** The certificate it rested on. */
  digest?: string;
  /** A refusal's message (else its reason), and the like. */
  detail?: string;
  /** Where it is recorded. */
  sources: Array<'lifecycle' | 'audit'>;
}

const ACTION_OF: Record<Lifecycle, GateAction | undefined> = { draft: undefined, certified: 'certify', live: 'promote', retired: 'retire' };

/**
 * A service's history, oldest first, newest last: its lifecycle changes (lifecycle.json) and the
 * gate actions of its audit records (gateAuditEntry), the same action recorded in both shown once.
 */
export function serviceHistory(changes: readonly LifecycleChange[], audit: readonly AuditRecord[] = []): GateEvent[] {
  const events: GateEvent[] = changes.map((c) => ({
    at: c.at,
    action: ACTION_OF[c.lifecycle] ?? c.lifecycle,
    by: c.by,
    lifecycle: c.lifecycle,
    ...(c.digest ? { digest: c.digest } : {}),
    sources: ['lifecycle'],
  }));
  for (const r of audit) {
    const action = typeof r.data.action === 'string' ? r.data.action : 'action';
    const by = r.actor.replace(/^operator:/, '');
    const same = events.find((e) => e.sources.includes('lifecycle') && !e.sources.includes('audit') && e.action === action && e.at === r.at && e.by === by);
    if (same) {
      same.sources.push('audit');
      continue;
    }
    const digest = typeof r.data.certificate === 'string' ? r.data.certificate : undefined;
    const detail = typeof r.data.message === 'string' ? r.data.message : typeof r.data.reason === 'string' ? r.data.reason : undefined;
    events.push({ at: r.at, action, by, ...(digest ? { digest } : {}), ...(detail ? { detail } : {}), sources: ['audit'] });
  }
  return events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}
