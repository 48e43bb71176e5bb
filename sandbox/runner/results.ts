/**
 * What a sandbox run produces, scenario by scenario: the runner (runner.ts) fills it, the
 * reports (report.ts: JUnit XML, HTML), the console summary and certification read it.
 */
import type { Order, TimelineEvent } from '../../contracts/types';

/** One request a simulator received for the scenario's order, and what it answered. */
export interface Exchange {
  /** Provider code (moi-civil-registry, sy-epay…). */
  provider: string;
  /** The contract operation, when the request matched one. */
  operation?: string;
  at: string;
  method: string;
  path: string;
  idempotencyKey?: string;
  /** The operation's input as the simulator decoded it. */
  input: unknown;
  /** `ok`, a business code, or the injected fault (`fault:timeout`…). */
  outcome: string;
  /** HTTP status answered (0: none — timeout, connection cut). */
  status?: number;
  /** The answer's body as sent, when there was one (decoded, not raw). */
  response?: unknown;
  /** Where the request broke the contract (JSON pointer and message). */
  violations?: string[];
  /** A repeat of an idempotency key the simulator had already answered. */
  repeated: boolean;
  /** Replayed from an exchange recorded from the provider's real system, or generated (generated simulators say; the payment and postal simulators are generated behaviour). */
  behaviour?: 'recorded' | 'generated';
  /** The recording replayed (`<operation>/<label>`). */
  recording?: string;
}

/** What a scenario ran against: only recorded exchanges, only generated ones (or none at all), or both. */
export type ScenarioBehaviour = 'recorded' | 'generated' | 'mixed';

export function scenarioBehaviour(exchanges: readonly Pick<Exchange, 'behaviour'>[]): ScenarioBehaviour {
  // Only the exchanges of simulators generated from a provider's contract say where their answer
  // came from; wasl's own payment and postal simulators (no behaviour) play the fulfilment around
  // the ministry and do not make a scenario "mixed".
  const told = exchanges.filter((e) => e.behaviour !== undefined);
  const recorded = told.filter((e) => e.behaviour === 'recorded').length;
  return recorded === 0 ? 'generated' : recorded === told.length ? 'recorded' : 'mixed';
}

/** One way the run differed from what the scenario expected. */
export interface Difference {
  /** What was checked: `status`, `timeline`, `calls.moi-civil-registry.IssueIndividualExtract`, `received…`, `results.documents`… */
  what: string;
  expected: unknown;
  actual: unknown;
}

export interface ScenarioResult {
  service: string;
  /** The scenario's name. */
  scenario: string;
  /** Its file, relative to the repository. */
  file: string;
  passed: boolean;
  durationMs: number;
  orderId?: string;
  /** The order's final status as the run left it. */
  status?: Order['status'];
  timeline: TimelineEvent[];
  exchanges: Exchange[];
  /** Whether the simulators answered from recordings, generated answers, or both (scenarioBehaviour). */
  behaviour?: ScenarioBehaviour;
  differences: Difference[];
  /** Set when the scenario could not run at all (refused submission, no simulator…). */
  error?: string;
}

export interface ServiceResult {
  service: string;
  names: { ar: string; en: string };
  scenarios: ScenarioResult[];
  /** Set when every scenario passed and the run certified the service. */
  certificate?: { digest: string; certifiedAt: string; /** The id of QA's key that signed it; unsigned without. */ signedBy?: string };
  /** Why certification was not done (a scenario failed, or none exist). */
  notCertified?: string;
}

export interface RunReport {
  startedAt: string;
  durationMs: number;
  services: ServiceResult[];
  scenarios: number;
  passed: number;
  failed: number;
}
