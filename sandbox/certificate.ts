/**
 * Certification (docs/release.md): a service whose sandbox scenarios all passed gets a certificate
 * (flows/<code>/certificate.json) listing everything its behaviour depends on, each with its
 * digest — its definition and scenarios, the flow, subflows and config nodes it runs on, the files
 * of the providers it calls, the simulators it was tested against, the code of the wasl nodes it
 * uses, wasl's and Node-RED's versions (certificate-dependencies.ts) — with the run's report,
 * and, where QA's key is at hand (WASL_CERT_SIGNING_KEY), an Ed25519 signature over all of it.
 *
 * `checkCertificate` says whether a certificate still holds: it must be for this service, its
 * digest that of what it lists (a hand edit shows), what it lists as it is now (naming each
 * dependency that changed); and, given trust (the hub's WASL_CERT_TRUSTED_KEYS, always in
 * production), signed by a trusted key over exactly its content. The hub receives these as its
 * CertificateReader (`certificateReader`, hub/lifecycle.ts): promotion is refused on a
 * certificate that does not hold, production checks its live services with it, operators see each
 * in GET /v1/services and `wasl service status`. The lifecycle (certified, live, retired) is the
 * hub's release gate.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import stringify from 'safe-stable-stringify';
import type { CertificateSummary, ServiceDefinition } from '../contracts/types';
import { signBytes, verifyBytes } from '../hub/certificate-keys';
import { LifecycleError, recordCertification, type CertificateReader, type CertificateTrust, type DependencyChange, type ServiceRoots } from '../hub/lifecycle';
import type { ScenarioBehaviour } from './runner/results';
import { dependenciesDigest, dependencyKey, describeDependency, serviceDependencies, type Dependency, type DependencyOptions } from './certificate-dependencies';

export type { Dependency } from './certificate-dependencies';

export interface ScenarioReport {
  scenarios: number;
  passed: number;
  failed: number;
  durationMs: number;
  /**
   * Per scenario (its file), what the simulators answered it from: exchanges recorded from the
   * providers' real systems, answers generated from the contracts, or both
   * (sandbox/README.md, "Recordings"). Added within format 2: it is part of the signed content
   * when present, and a certificate written before it (without it) verifies as it always did.
   */
  behaviour?: Record<string, ScenarioBehaviour>;
}

/** The format of certificates written now; one of an earlier format (a list of files) no longer holds. */
export const CERTIFICATE_FORMAT = 2;

export interface Certificate {
  format: typeof CERTIFICATE_FORMAT;
  service: string;
  /** The definition's version. */
  version: number;
  /** The digest of `dependencies` (dependenciesDigest). */
  digest: string;
  dependencies: Dependency[];
  report: ScenarioReport;
  certifiedAt: string;
  by: string;
  /** Ed25519, by QA's key (its id: hub/certificate-keys.ts), over the canonical JSON of everything above. */
  signature?: { keyId: string; value: string };
}

/** A certificate refused, missing or no longer holding; `changed` and `dependencies` name what differs from what was certified. */
export class CertificationError extends LifecycleError {
  override name = 'CertificationError';
}

export interface CertifyOptions {
  now?: Date;
  /** QA's signing key (WASL_CERT_SIGNING_KEY); unsigned without it (the sandbox: digest only). */
  signingKey?: string;
  /** For tests: where wasl's code is read, Node-RED's version (certificate-dependencies.ts). */
  dependencies?: DependencyOptions;
}

/** The bytes a signature is over: the certificate without its signature, as canonical JSON. */
export function signedContent(cert: Certificate | Omit<Certificate, 'signature'>): Buffer {
  const { signature: _signature, ...content } = cert as Certificate;
  return Buffer.from(stringify(content) ?? '', 'utf8');
}

function dependenciesOf(code: string, roots: ServiceRoots, opts?: DependencyOptions): Dependency[] {
  try {
    return serviceDependencies(code, roots, opts);
  } catch (err) {
    if (err instanceof LifecycleError && !(err instanceof CertificationError)) throw new CertificationError(err.message);
    throw err;
  }
}

const certificateFile = (code: string, roots: ServiceRoots) => join(roots.flowsDir, code, 'certificate.json');

/** Writes the certificate of a run whose scenarios all passed, signed when given QA's key; refuses a run with failures. */
export function certify(code: string, report: ScenarioReport, roots: ServiceRoots, by: string, opts: CertifyOptions = {}): Certificate {
  if (report.failed > 0 || report.scenarios === 0 || report.passed !== report.scenarios) {
    throw new CertificationError(`service ${code} cannot be certified: ${report.passed} of ${report.scenarios} scenarios passed`);
  }
  const now = opts.now ?? new Date();
  const def = JSON.parse(readFileSync(join(roots.flowsDir, code, 'service.json'), 'utf8')) as ServiceDefinition;
  const dependencies = dependenciesOf(code, roots, opts.dependencies);
  const content: Omit<Certificate, 'signature'> = { format: CERTIFICATE_FORMAT, service: code, version: def.version, digest: dependenciesDigest(dependencies), dependencies, report, certifiedAt: now.toISOString(), by };
  const cert: Certificate = { ...content, ...(opts.signingKey ? { signature: signBytes(opts.signingKey, signedContent(content)) } : {}) };
  writeFileSync(certificateFile(code, roots), `${JSON.stringify(cert, null, 2)}\n`);
  recordCertification(code, roots, by, cert.digest, now);
  return cert;
}

/** The service's certificate as written, or undefined when it has none; throws when it is not JSON. */
export function readCertificate(code: string, roots: ServiceRoots): Certificate | undefined {
  const f = certificateFile(code, roots);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as Certificate;
  } catch {
    throw new CertificationError(`service ${code}'s certificate cannot be read (not JSON): run its scenarios again (wasl sandbox test ${code})`);
  }
}

/** What differs between what a certificate lists and what the service depends on now. */
export function dependencyChanges(before: readonly Dependency[], after: readonly Dependency[]): DependencyChange[] {
  const was = new Map(before.map((d) => [dependencyKey(d), d]));
  const is = new Map(after.map((d) => [dependencyKey(d), d]));
  const out: DependencyChange[] = [];
  for (const key of [...new Set([...was.keys(), ...is.keys()])]) {
    const a = was.get(key);
    const b = is.get(key);
    const d = (b ?? a)!;
    const base = { kind: d.kind, name: d.name, ...(d.path ? { path: d.path } : {}) };
    if (!b) out.push({ ...base, change: 'removed' });
    else if (!a) out.push({ ...base, change: 'added' });
    else if (a.sha256 !== b.sha256 || a.version !== b.version) out.push({ ...base, change: 'changed', ...(a.version !== b.version ? { before: String(a.version), after: String(b.version) } : {}) });
  }
  return out.sort((x, y) => (describeDependency(x) < describeDependency(y) ? -1 : describeDependency(x) > describeDependency(y) ? 1 : 0));
}

/** A change as a person reads it: "flows/x/flow.json", "config-node prov-moi (wasl-provider) removed", "node-red 4.1.8 → 4.1.9". */
export function describeChange(c: DependencyChange): string {
  const what = describeDependency(c);
  if (c.before !== undefined || c.after !== undefined) return `${what} ${c.before} → ${c.after}`;
  return c.change === 'changed' ? what : `${what} ${c.change === 'added' ? 'added' : 'gone'}`;
}

/** Whether the certificate's signature is one trust accepts, for exactly its content; the reason when not. */
function signatureProblem(code: string, cert: Certificate, trust: CertificateTrust): string | undefined {
  const sig = cert.signature;
  if (!sig || typeof sig.keyId !== 'string' || typeof sig.value !== 'string') return `service ${code}'s certificate is not signed: a certificate holds here only when signed by QA's key (a public key of WASL_CERT_TRUSTED_KEYS); issue it with wasl sandbox test and WASL_CERT_SIGNING_KEY`;
  const verdict = verifyBytes(trust.publicKeys, sig, signedContent(cert));
  if (verdict === 'untrusted') return `service ${code}'s certificate is signed by key ${sig.keyId}, which is not one of WASL_CERT_TRUSTED_KEYS: it is not trusted here`;
  if (verdict === 'invalid') return `service ${code}'s certificate does not match its signature (key ${sig.keyId}): it was changed after it was signed, or the signature is another certificate's`;
  return undefined;
}

/**
 * Why the service's certificate does not hold for what the service depends on as it is now, or
 * undefined when it does. With `trust`, it must also be signed by one of its keys over exactly its
 * content.
 */
export function checkCertificate(code: string, roots: ServiceRoots, trust?: CertificateTrust, opts?: DependencyOptions): CertificationError | undefined {
  let cert: Certificate | undefined;
  try {
    cert = readCertificate(code, roots);
  } catch (err) {
    if (err instanceof CertificationError) return err;
    throw err;
  }
  if (!cert) return new CertificationError(`service ${code} has no certificate: run its scenarios (wasl sandbox test ${code})`);
  if (cert.format !== CERTIFICATE_FORMAT || !Array.isArray(cert.dependencies)) return new CertificationError(`service ${code}'s certificate is of an earlier format, which does not say what the service depends on: run its scenarios again (wasl sandbox test ${code})`);
  if (cert.service !== code) return new CertificationError(`the certificate in ${code}'s folder is service ${String(cert.service)}'s`);
  if (trust) {
    const problem = signatureProblem(code, cert, trust);
    if (problem) return new CertificationError(problem);
  }
  if (dependenciesDigest(cert.dependencies) !== cert.digest) return new CertificationError(`service ${code}'s certificate was edited: its digest is not that of the dependencies it lists`);
  if (!cert.report || cert.report.failed > 0 || cert.report.passed !== cert.report.scenarios) return new CertificationError(`service ${code}'s certificate records failed scenarios`);
  let now: Dependency[];
  try {
    now = dependenciesOf(code, roots, opts);
  } catch (err) {
    if (err instanceof CertificationError) return err;
    throw err;
  }
  if (dependenciesDigest(now) === cert.digest) return undefined;
  const changes = dependencyChanges(cert.dependencies, now);
  const shown = changes.slice(0, 12).map(describeChange);
  const more = changes.length > shown.length ? `, and ${changes.length - shown.length} more` : '';
  return new CertificationError(`service ${code} changed since it was certified (${shown.join(', ')}${more}): run its scenarios again`, changes.map(describeDependency), changes);
}

/** What an operator sees of a service's certificate (GET /v1/services, wasl service status): whether it holds now, and when not, why and what changed. */
export function certificateSummary(code: string, roots: ServiceRoots, trust?: CertificateTrust): CertificateSummary | undefined {
  let cert: Certificate | undefined;
  try {
    cert = readCertificate(code, roots);
  } catch (err) {
    if (!(err instanceof CertificationError)) throw err;
    return { digest: '', certifiedAt: new Date(0).toISOString(), by: '', scenarios: 0, passed: 0, holds: false, problem: err.message };
  }
  if (!cert) return undefined;
  const problem = checkCertificate(code, roots, trust);
  return {
    digest: String(cert.digest),
    certifiedAt: String(cert.certifiedAt),
    by: String(cert.by),
    scenarios: Number(cert.report?.scenarios ?? 0),
    passed: Number(cert.report?.passed ?? 0),
    holds: !problem,
    ...(cert.signature?.keyId ? { signedBy: String(cert.signature.keyId) } : {}),
    ...(problem ? { problem: problem.message } : {}),
    ...(problem?.dependencies.length ? { changed: problem.dependencies } : {}),
  };
}

/** What the hub receives to read and verify certificates (hub/lifecycle.ts): the same checks as `wasl service promote`. */
export const certificateReader: CertificateReader = { check: (code, roots, trust) => checkCertificate(code, roots, trust), summary: certificateSummary };
