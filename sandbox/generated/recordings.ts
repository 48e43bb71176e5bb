/**
 * What a generated simulator knows of what its provider really does: the exchanges recorded from
 * the provider's real system (`wasl provider record`, contracts/providers/<code>/recordings/
 * <operation>/<label>.json, contracts/recording.schema.json), and the provider's declared error
 * rules (provider.json `errors.rules`).
 *
 * - A request is answered from a recording of its operation whose `match` members (JSON pointers
 *   into the input; all its leaf values by default) equal the request's — the recorded answer or
 *   fault, replayed as it was received (status, content type, body).
 * - A fault a scenario asks for by code is played from a recorded fault of that code (its fault
 *   code, its reason, or its text) when there is one.
 * - Otherwise a business fault is shaped where the provider's declared rule for that code reads
 *   it (`faultShape`): the text where faultString looks, an element where detailPath looks, the
 *   code where faultCode / codePointer looks, the rule's status — so the connector maps the
 *   simulated fault through the same rule as the real one. A code that no rule declares and no
 *   recording holds is not invented: the simulator answers an explicit SIMULATOR error.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import RandExp from 'randexp';
import { createAjv, pointErrors } from '../../contracts';
import { linearRegExp } from '../../contracts/linear-regexp';
import recordingSchema from '../../contracts/recording.schema.json';
import type { ErrorMapping, Recording } from '../../contracts/types';
import { isObject } from './examples';

export type ErrorRule = NonNullable<ErrorMapping['rules']>[number];

let validate: ReturnType<ReturnType<typeof createAjv>['compile']> | undefined;

/** A provider's recordings, by operation, in label order; throws on a file that is not a recording of this provider. */
export function loadRecordings(providerDir: string, provider: string): Map<string, Recording[]> {
  const out = new Map<string, Recording[]>();
  const root = join(providerDir, 'recordings');
  if (!existsSync(root)) return out;
  validate ??= createAjv().compile((({ $id: _id, ...rest }) => rest)(recordingSchema as Record<string, unknown>));
  for (const op of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const f of readdirSync(join(root, op)).filter((n) => n.endsWith('.json')).sort()) {
      const file = join(root, op, f);
      const doc = JSON.parse(readFileSync(file, 'utf8')) as Recording;
      if (!validate(doc)) throw new Error(`${file} is not a recording (contracts/recording.schema.json): ${pointErrors(validate.errors).map((e) => `${e.pointer || '/'} ${e.message}`).join('; ')}`);
      if (doc.provider !== provider || doc.operation !== op) throw new Error(`${file} is a recording of ${doc.provider}.${doc.operation}, not of ${provider}.${op}`);
      (out.get(op) ?? out.set(op, []).get(op)!).push(doc);
    }
  }
  return out;
}

function at(doc: unknown, pointer: string): unknown {
  let cur = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(k)];
    else if (isObject(cur)) cur = cur[k];
    else return undefined;
  }
  return cur;
}

/** Equal as the wire says them: 2024 and "2024" are the same value. */
const same = (a: unknown, b: unknown): boolean =>
  a === undefined || b === undefined ? a === b : typeof a === 'object' || typeof b === 'object' ? JSON.stringify(a) === JSON.stringify(b) : String(a) === String(b);

/** The names a scenario may give a recorded fault by: its fault code, its reason, its text. */
const faultNames = (r: Recording): string[] => [r.fault?.faultCode, r.fault?.reason, r.fault?.text?.trim()].filter((x): x is string => !!x);

export class ProviderRecordings {
  constructor(private readonly byOperation: Map<string, Recording[]>) {}

  static load(providerDir: string, provider: string): ProviderRecordings {
    return new ProviderRecordings(loadRecordings(providerDir, provider));
  }

  get size(): number {
    let n = 0;
    for (const l of this.byOperation.values()) n += l.length;
    return n;
  }

  /** The first recording of the operation (label order) whose match members equal the request's. */
  matching(operation: string, input: unknown): Recording | undefined {
    return this.byOperation.get(operation)?.find((r) => r.match.every((p) => same(at(r.input, p), at(input, p))));
  }

  /** A recorded fault of the operation (else of any operation) a scenario names by `code`. */
  fault(operation: string, code: string): Recording | undefined {
    const of = (list: Recording[] | undefined) => list?.find((r) => r.outcome === 'fault' && faultNames(r).includes(code));
    return of(this.byOperation.get(operation)) ?? [...this.byOperation.values()].map(of).find(Boolean);
  }
}

/** SOAP's own fault codes: a rule naming one reads the fault code, not a business code in the detail. */
const SOAP_CODES = new Set(['Server', 'Client', 'Receiver', 'Sender', 'VersionMismatch', 'MustUnderstand', 'DataEncodingUnknown']);

function sample(pattern: string, candidates: string[]): string | undefined {
  let re: ReturnType<typeof linearRegExp>;
  try {
    re = linearRegExp(pattern);
  } catch {
    return undefined;
  }
  for (const c of candidates) if (re.test(c)) return c;
  const gen = new RandExp(pattern.replace(/\\b/g, ''));
  gen.max = 3;
  gen.randInt = (a: number) => a;
  for (let i = 0; i < 5; i++) {
    const s = gen.gen();
    if (re.test(s)) return s;
  }
  return undefined;
}

/** The declared rule a scenario's fault code names: by fault code, else by reason, else by the text or detail value it reads. */
export function ruleFor(rules: ErrorMapping | undefined, code: string): { rule: ErrorRule; index: number } | undefined {
  const list = rules?.rules ?? [];
  const tests: Array<(r: ErrorRule) => boolean> = [
    (r) => r.faultCode === code,
    (r) => r.reason === code,
    (r) => r.faultString?.trim() === code || r.detailValue === code,
    (r) => {
      for (const p of [r.faultCodePattern, r.faultStringPattern, r.detailPattern]) {
        if (!p) continue;
        try {
          if (linearRegExp(p).test(code)) return true;
        } catch {
          /* a pattern wasl cannot run matches nothing */
        }
      }
      return false;
    },
  ];
  for (const t of tests) {
    const index = list.findIndex(t);
    if (index >= 0) return { rule: list[index]!, index };
  }
  return undefined;
}

/** Where a generated business fault carries what the provider's rule reads. */
export interface FaultShape {
  /** SOAP: a business code for the detail (`<Fault><errorCode>`); REST: the value at codePointer. */
  errorCode?: string;
  /** SOAP: the fault code's local name when the rule reads one of SOAP's own (Server, Client…). */
  soapCode?: string;
  /** The fault text (faultstring, Reason/Text, REST message). */
  text: string;
  /** Local names from the detail's children, and the value there. */
  detailPath?: { steps: string[]; value: string };
  status?: number;
  /** REST: where the code and the text go in the error body. */
  codePointer?: string;
  messagePointer?: string;
  /** The rule it was shaped for. */
  rule: number;
}

/** The fault `code` shaped the way the provider's declared rule for it reads faults; undefined when no rule declares it. */
export function faultShape(rules: ErrorMapping | undefined, code: string): FaultShape | undefined {
  const found = ruleFor(rules, code);
  if (!found) return undefined;
  const { rule, index } = found;
  const codeText = rule.faultCode ?? (rule.faultCodePattern ? sample(rule.faultCodePattern, [code, rule.reason ?? '']) : undefined) ?? (rule.faultString || rule.faultStringPattern || rule.detailPath ? undefined : code);
  const text =
    rule.faultString?.trim() ??
    (rule.faultStringPattern ? sample(rule.faultStringPattern, [code, `${code}: simulated fault`, rule.reason ?? '']) : undefined) ??
    `simulated fault ${code}`;
  const shape: FaultShape = { text, rule: index };
  if (codeText && SOAP_CODES.has(codeText)) shape.soapCode = codeText;
  else if (codeText) shape.errorCode = codeText;
  if (rule.detailPath) {
    const value = rule.detailValue ?? (rule.detailPattern ? sample(rule.detailPattern, [code, rule.reason ?? '']) : undefined) ?? code;
    shape.detailPath = { steps: rule.detailPath.split('/').map((s) => (s === '*' ? 'Fault' : s.replace(/^[^:]*:/, ''))), value };
  }
  if (rule.status !== undefined) shape.status = rule.status;
  if (rule.codePointer !== undefined) shape.codePointer = rule.codePointer;
  if (rule.messagePointer !== undefined) shape.messagePointer = rule.messagePointer;
  return shape;
}

/** The SIMULATOR's answer to a fault no rule declares and no recording holds. */
export const undeclaredFault = (provider: string, operation: string, code: string) =>
  `SIMULATOR: the fault ${code} is neither declared in ${provider}'s errors.rules nor recorded (contracts/providers/${provider}/recordings/${operation}/): a simulator does not invent faults — record the provider's fault (wasl provider record) or declare its rule`;

/** The scenario's verdict on one request's provenance. */
export type Behaviour = 'recorded' | 'generated';
