/**
 * A service's lifecycle — draft → certified → live → retired — and its release gate: a service
 * goes live only on a certificate that holds for its files as they are now. What a certificate
 * covers and how it is verified is the sandbox's business (sandbox/certificate.ts); the hub
 * receives a reader of certificates at start (CertificateReader) and imports nothing of the
 * sandbox. The definition's lifecycle member says where a service is; every change is kept, with
 * who made it, when and on which certificate, in flows/<code>/lifecycle.json.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_PROVIDERS_ROOT } from '../connectors/provider-files';
import type { CertificateSummary, Lifecycle, LifecycleChange, ServiceDefinition } from '../contracts/types';

export type { LifecycleChange };

/** Where services' files are: what a certificate covers, and what the paths in it are relative to. */
export interface ServiceRoots {
  /** flows/ */
  flowsDir: string;
  /** contracts/providers/ */
  providersRoot: string;
  /** What file paths in a certificate are relative to (the repository). */
  base: string;
}

/** The roots of the services of a flows folder, their providers under contracts/providers. */
export function serviceRoots(flowsDir: string, providersRoot = DEFAULT_PROVIDERS_ROOT): ServiceRoots {
  return { flowsDir, providersRoot, base: resolve(flowsDir, '..') };
}

/** A lifecycle change refused: a certificate that does not hold (CertificateReader.check), a definition it cannot change. */
export class LifecycleError extends Error {
  override name = 'LifecycleError';
  constructor(
    message: string,
    /** Files whose content is not what was certified (added, changed or gone). */
    readonly changed: string[] = [],
  ) {
    super(message);
  }
}

/**
 * Reads and verifies services' certificates; the sandbox's (sandbox/certificate.ts) is handed to
 * the hub at start. A production hub warns of a live service whose certificate does not hold,
 * operators see each certificate in GET /v1/services, and promotion is refused without one that
 * holds.
 */
export interface CertificateReader {
  /** Why the service's certificate does not hold for its files as they are (there is none, it records failures, files changed since), or undefined when it holds. */
  check(code: string, roots: ServiceRoots): LifecycleError | undefined;
  /** The certificate as an operator sees it, with whether it holds; undefined when there is none. */
  summary(code: string, roots: ServiceRoots): CertificateSummary | undefined;
}

const lifecycleFile = (code: string, roots: ServiceRoots) => join(roots.flowsDir, code, 'lifecycle.json');

export function lifecycleHistory(code: string, roots: ServiceRoots): LifecycleChange[] {
  const f = lifecycleFile(code, roots);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as LifecycleChange[]) : [];
}

/** Makes a certified service live; refuses, with the reader's reason, when its certificate does not hold. */
export function promote(code: string, roots: ServiceRoots, by: string, certificates: CertificateReader, now = new Date()): LifecycleChange {
  const problem = certificates.check(code, roots);
  if (problem) throw problem;
  return setLifecycle(code, 'live', roots, by, certificates.summary(code, roots)!.digest, now);
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
