/**
 * Certification: a service whose sandbox scenarios all passed gets a certificate
 * (flows/<code>/certificate.json) recording a digest of everything that defines it — its
 * definition (without its lifecycle, which promotion changes), its flow, its scenarios, the
 * contracts and provider files of every provider its definition and its flow use, and the flows'
 * shared config nodes — with the run's report. `checkCertificate` says whether a certificate
 * still holds for the files as they are now; any edit since (one character of the flow) voids it,
 * naming the files that changed. The hub receives these as its CertificateReader
 * (`certificateReader`, hub/lifecycle.ts): promotion is refused on a certificate that does not
 * hold, a production hub warns of a live service without one, operators see each in
 * GET /v1/services. The lifecycle itself (certified, live, retired) is the hub's release gate.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import stringify from 'safe-stable-stringify';
import type { CertificateSummary, ServiceDefinition } from '../contracts/types';
import { LifecycleError, recordCertification, type CertificateReader, type ServiceRoots } from '../hub/lifecycle';

export interface CertifiedFile {
  /** Relative to the repository (flows/…, contracts/providers/…). */
  path: string;
  sha256: string;
}

export interface ScenarioReport {
  scenarios: number;
  passed: number;
  failed: number;
  durationMs: number;
}

export interface Certificate {
  service: string;
  version: number;
  digest: string;
  files: CertifiedFile[];
  report: ScenarioReport;
  certifiedAt: string;
  by: string;
}

/** A certificate refused, missing or no longer holding; `changed` names the files that differ from what was certified. */
export class CertificationError extends LifecycleError {
  override name = 'CertificationError';
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/** Provider codes a flow's config nodes name (wasl-provider), through flows/shared.json. */
function providersOfFlow(flowFile: string, sharedFile: string): string[] {
  const read = (f: string) => (existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Array<Record<string, unknown>>) : []);
  const flow = read(flowFile);
  const configs = new Map(read(sharedFile).filter((n) => n.type === 'wasl-provider').map((n) => [n.id, String(n.code)]));
  const codes = new Set<string>();
  for (const n of flow) {
    if (n.type === 'wasl-provider' && typeof n.code === 'string') codes.add(n.code);
    const ref = typeof n.provider === 'string' ? configs.get(n.provider) : undefined;
    if (ref) codes.add(ref);
  }
  return [...codes];
}

/** The files that define a service, each with its digest, in a stable order. */
export function serviceFiles(code: string, roots: ServiceRoots, extraProviders: string[] = []): CertifiedFile[] {
  const dir = join(roots.flowsDir, code);
  const defFile = join(dir, 'service.json');
  if (!existsSync(defFile)) throw new CertificationError(`no service ${code} in ${roots.flowsDir}`);
  const def = JSON.parse(readFileSync(defFile, 'utf8')) as ServiceDefinition;
  const out: CertifiedFile[] = [];
  // The definition without its lifecycle: promoting a service must not void its certificate.
  const { lifecycle: _lifecycle, ...defined } = def;
  out.push({ path: relative(roots.base, defFile), sha256: sha256(stringify(defined) ?? '') });
  // A service carried by a pattern's shared flow is defined by that flow (its own flow.json, if any, is not loaded for it).
  const flowFile = def.flow?.pattern ? join(roots.flowsDir, def.flow.pattern, 'flow.json') : join(dir, 'flow.json');
  const shared = join(roots.flowsDir, 'shared.json');
  for (const f of [flowFile, shared, ...filesUnder(join(dir, 'scenarios'))]) {
    if (existsSync(f)) out.push({ path: relative(roots.base, f), sha256: sha256(readFileSync(f)) });
  }
  const providers = new Set([def.provider.code, ...providersOfFlow(flowFile, shared), ...extraProviders]);
  for (const p of [...providers].sort()) {
    const files = filesUnder(join(roots.providersRoot, p));
    if (files.length === 0) throw new CertificationError(`service ${code} uses provider ${p}, which is not under ${roots.providersRoot}`);
    for (const f of files) out.push({ path: relative(roots.base, f), sha256: sha256(readFileSync(f)) });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function digestOf(files: CertifiedFile[]): string {
  return sha256(files.map((f) => `${f.sha256}  ${f.path}\n`).join(''));
}

const certificateFile = (code: string, roots: ServiceRoots) => join(roots.flowsDir, code, 'certificate.json');

/** Writes the certificate of a run whose scenarios all passed; refuses a run with failures. */
export function certify(code: string, report: ScenarioReport, roots: ServiceRoots, by: string, extraProviders: string[] = [], now = new Date()): Certificate {
  if (report.failed > 0 || report.scenarios === 0 || report.passed !== report.scenarios) {
    throw new CertificationError(`service ${code} cannot be certified: ${report.passed} of ${report.scenarios} scenarios passed`);
  }
  const def = JSON.parse(readFileSync(join(roots.flowsDir, code, 'service.json'), 'utf8')) as ServiceDefinition;
  const files = serviceFiles(code, roots, extraProviders);
  const cert: Certificate = { service: code, version: def.version, digest: digestOf(files), files, report, certifiedAt: now.toISOString(), by };
  writeFileSync(certificateFile(code, roots), `${JSON.stringify(cert, null, 2)}\n`);
  recordCertification(code, roots, by, cert.digest, now);
  return cert;
}

export function readCertificate(code: string, roots: ServiceRoots): Certificate | undefined {
  const f = certificateFile(code, roots);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Certificate) : undefined;
}

/** Why the service's certificate does not hold for the files as they are, or undefined when it does. */
export function checkCertificate(code: string, roots: ServiceRoots): CertificationError | undefined {
  const cert = readCertificate(code, roots);
  if (!cert) return new CertificationError(`service ${code} has no certificate: run its scenarios (wasl sandbox test ${code})`);
  if (cert.report.failed > 0 || cert.report.passed !== cert.report.scenarios) return new CertificationError(`service ${code}'s certificate records failed scenarios`);
  const extra = cert.files.filter((f) => f.path.includes('contracts/providers/')).map((f) => f.path.split('contracts/providers/')[1]!.split('/')[0]!);
  const now = serviceFiles(code, roots, extra);
  if (digestOf(now) === cert.digest) return undefined;
  const before = new Map(cert.files.map((f) => [f.path, f.sha256]));
  const after = new Map(now.map((f) => [f.path, f.sha256]));
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p)).sort();
  return new CertificationError(`service ${code} changed since it was certified (${changed.join(', ')}): run its scenarios again`, changed);
}

/** What an operator sees of a service's certificate (GET /v1/services): whether it holds for the files now. */
export function certificateSummary(code: string, roots: ServiceRoots): CertificateSummary | undefined {
  const cert = readCertificate(code, roots);
  if (!cert) return undefined;
  const problem = checkCertificate(code, roots);
  return { digest: cert.digest, certifiedAt: cert.certifiedAt, by: cert.by, scenarios: cert.report.scenarios, passed: cert.report.passed, holds: !problem, ...(problem ? { problem: problem.message } : {}) };
}

/** What the hub receives to read and verify certificates (hub/lifecycle.ts): the same checks as `wasl service promote`. */
export const certificateReader: CertificateReader = { check: checkCertificate, summary: certificateSummary };
