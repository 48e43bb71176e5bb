/**
 * What the SOAP and REST simulators generated from contracts share: the contract checks (the
 * request against the operation's input schema, the answer against its output schema), the
 * generated answer, the record of every request, and the answers kept per idempotency key.
 */
import { createAjv, pointErrors, type ValidateFunction } from '../../contracts';
import type { ProviderOperationFiles } from '../../connectors/provider-files';
import { Recorder, sleep, type RunningSimulator, type SimRequest } from '../simulators/recorder';
import { coerce } from './coerce';
import { exampleOf, overlay, scalarsByName } from './examples';
import { ScenarioScripts } from './scripts';
import { seedAnswer } from '../data/answers';
import { ProviderRecordings } from './recordings';
import { withDocuments } from './documents';
import type { Recording } from '../../contracts/types';

export interface GeneratedOptions {
  port: number;
  host?: string;
  /** Where to serve; the path of the provider's sandbox endpoint by default. */
  path?: string;
  /** Per-order scenario behaviour (the sandbox runner's); none: every call gets the default answer. */
  scripts?: ScenarioScripts;
  /** Milliseconds before every answer. */
  delayMs?: number;
  recordFile?: string;
  /** The provider's recordings (default: those under its folder's recordings/, loaded at start). */
  recordings?: ProviderRecordings;
}

export interface GeneratedSimulator extends RunningSimulator {
  provider: string;
  kind: 'soap' | 'rest';
}

/** How one request ended, for the record. */
export interface Outcome {
  outcome: string;
  status: number;
  response?: unknown;
  violations?: string[];
  repeated: boolean;
  /** Replayed from a recording (its label) rather than generated. */
  recording?: Recording;
}

/** A recorded fault's name for the record: its business code; its text when the code is one of SOAP's own (Server…); its reason; its status. */
function faultName(rec: Recording): string {
  const f = rec.fault;
  const code = f?.faultCode && !/^(Server|Client|Receiver|Sender)$/.test(f.faultCode) ? f.faultCode : undefined;
  return code ?? f?.text?.trim().slice(0, 80) ?? f?.reason ?? `HTTP ${rec.response.status}`;
}

/** A recording's answer as the record shows it: the decoded output of an answer, the fault otherwise. */
export function recordedOutcome(rec: Recording, repeated = false): Outcome {
  return {
    outcome: rec.outcome === 'answer' ? 'ok' : faultName(rec),
    status: rec.response.status,
    ...(rec.outcome === 'answer' && rec.output !== undefined ? { response: rec.output } : rec.fault ? { response: rec.fault } : {}),
    repeated,
    recording: rec,
  };
}

/** Answers already given, by idempotency key: a repeat gets the same (the work is done once). Only successful answers are kept: a fault is not work done. */
export class Answers {
  private readonly byKey = new Map<string, unknown>();
  get(key: string | undefined): unknown {
    return key ? this.byKey.get(key) : undefined;
  }
  set(key: string | undefined, value: unknown): void {
    if (key) this.byKey.set(key, value);
  }
}

const ajv = createAjv();
const compiled = new WeakMap<object, ValidateFunction>();
function validatorOf(schema: Record<string, unknown>): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    const { $id: _id, ...rest } = schema;
    v = ajv.compile(rest);
    compiled.set(schema, v);
  }
  return v;
}

function check(schema: Record<string, unknown>, value: unknown): string[] {
  const v = validatorOf(schema);
  return v(value) ? [] : pointErrors(v.errors).map((e) => `${e.pointer || '/'} ${e.message}`);
}

/** The contract's description of an operation's output, as the document's Arabic title when it is Arabic. */
function titleOf(schema: Record<string, unknown>): { titleAr?: string } {
  const d = schema.description;
  return typeof d === 'string' && /[\u0600-\u06ff]/.test(d) ? { titleAr: d.slice(0, 120) } : {};
}

export function checker(provider: string, operations: Record<string, ProviderOperationFiles>, opts: GeneratedOptions, providerDir?: string, issuer: string = provider) {
  const recorder = new Recorder(opts.recordFile);
  const recordings = opts.recordings ?? (providerDir ? ProviderRecordings.load(providerDir, provider) : new ProviderRecordings(new Map()));
  const scripts = opts.scripts ?? new ScenarioScripts(0);
  let delayMs = opts.delayMs ?? 0;
  const op = (name: string) => {
    const o = operations[name];
    if (!o) throw new Error(`provider ${provider} has no operation ${name}`);
    return o;
  };
  return {
    scripts,
    recordings,
    delayMs: () => delayMs,
    decodeInput: (name: string, raw: unknown) => coerce(raw, op(name).inputSchema),
    checkInput: (name: string, input: unknown) => check(op(name).inputSchema, input),
    /** The generated example of the output (echoing the request's values where names match), what the seed citizens' records say, the scenario's members over it, and whether it holds. */
    answer(name: string, respond: Record<string, unknown> | undefined, input?: unknown): { value: unknown; violations: string[] } {
      const schema = op(name).outputSchema;
      const hints = scalarsByName(input);
      const seed = seedAnswer(provider, name, input);
      for (const [values, full] of [[hints, true], [new Map<string, unknown>(), true], [hints, false]] as const) {
        const generated = exampleOf(schema, new Date(), full, values);
        for (const base of seed ? [overlay(generated, seed), generated] : [generated]) {
          const candidate = overlay(base, respond);
          if (check(schema, candidate).length === 0) return { value: candidate, violations: [] };
        }
      }
      const value = overlay(exampleOf(schema), respond);
      return { value, violations: check(schema, value).map((v) => `answer ${v}`) };
    },
    /** The scenario's plan for this call, after its latency (counted from `started`), with the answer it would give. */
    async planAndAnswer(orderId: string | undefined, name: string, input: unknown, started: number) {
      const plan = await scripts.plan(orderId, provider, name, input);
      const wait = (plan.latencyMs ?? 0) + delayMs - (Date.now() - started);
      if (wait > 0) await sleep(wait);
      const answer = this.answer(name, plan.respond, input);
      // A valid answer's binary content is a real PDF (documents.ts); the placeholder passed the schema the same.
      if (!answer.violations.length) answer.value = await withDocuments(answer.value, input, { issuer, operation: name, ...titleOf(op(name).outputSchema) });
      return { fault: plan.fault, answer };
    },
    record(r: Omit<SimRequest, 'simulator' | 'at' | 'behaviour' | 'recording'> & { recording?: Recording }): void {
      const { recording, ...rest } = r;
      recorder.add({ simulator: provider, at: new Date().toISOString(), ...rest, behaviour: recording ? 'recorded' : 'generated', ...(recording ? { recording: `${recording.operation}/${recording.label}` } : {}) });
    },
    running(s: { kind: 'soap' | 'rest'; url: string; close(): Promise<void> }): GeneratedSimulator {
      return { name: provider, provider, kind: s.kind, url: s.url, requests: recorder.requests, setDelay: (ms) => void (delayMs = ms), close: s.close };
    },
  };
}
