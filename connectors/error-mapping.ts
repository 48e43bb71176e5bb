/**
 * A provider's own faults mapped, by configuration (the provider file's `errors.rules`), to what
 * they mean for wasl. The first rule that matches wins, and its `kind` says what the fault is:
 *   refusal    (default) a BusinessRefusal with the rule's `reason`: never retried, the order
 *              ends rejected;
 *   transient  a ProviderFault marked transient: retried like a network failure or a 5xx (when
 *              the call may be retried) and counted by the circuit breaker;
 *   permanent  a ProviderFault not transient: not retried, not a refusal (dead-lettered).
 * A fault no rule matches stays what the connector made of it (a ProviderFault, transient or not).
 *
 * A rule matches when every criterion it gives holds:
 *   faultCode / faultCodePattern    the code: the SOAP fault code handed in (the connector tries
 *                                   the fault code, each 1.2 subcode and each detail code in
 *                                   turn), or, for REST, the value at `codePointer` (default
 *                                   /code) in the decoded error body;
 *   codePointer                     on its own: a value exists there;
 *   faultString / faultStringPattern the fault's text: SOAP 1.1 faultstring or 1.2 Reason/Text;
 *                                   REST the string at `messagePointer` (default /message), or a
 *                                   text body;
 *   status                          the HTTP status;
 *   detailPath [+ detailValue | detailPattern]
 *                                   an element at a path of local names from the children of the
 *                                   SOAP fault detail, or from the root of a REST XML error body.
 * A rule without criteria matches every fault: put it last, as a catch-all.
 *
 * Matching is linear-time (contracts/linear-regexp.ts) and bounded: codes over MAX_CODE never
 * match a pattern, texts are matched on their first MAX_TEXT characters, a detail path visits at
 * most MAX_VISITED elements.
 */
import { linearRegExp, type LinearRegExp } from '../contracts/linear-regexp';
import type { ErrorMapping, Text } from '../contracts/types';
import { BusinessRefusal, codeShaped, ProviderFault, type CallMeta, type FaultDetail, type MatchedRule } from './errors';
import type { XmlElement } from './xml/parse';

export interface FaultFacts {
  /** SOAP fault code (or subcode, detail code), or a REST error code already extracted. */
  faultCode?: string;
  status?: number;
  /** Decoded REST error body, for codePointer and messagePointer. */
  body?: unknown;
  /** The fault's text: SOAP faultstring / Reason/Text; REST a text error body (messagePointer reads body). */
  faultString?: string;
  /** The elements a detailPath starts from: a SOAP fault detail's children, or a REST XML error body's root. */
  detail?: readonly XmlElement[];
}

export type RefusalMeta = Partial<CallMeta> & {
  /** The provider's own text, kept apart on the refusal (may carry personal data). */
  providerMessage?: string;
};

/** A refusal with wasl's own text for its reason, from the rule, when the rule gives one. */
export type MappedRefusal = BusinessRefusal & { text?: Text };

export type ErrorRule = NonNullable<ErrorMapping['rules']>[number];
export type RuleKind = NonNullable<ErrorRule['kind']>;

/** Which rule of `errors.rules` decided what a fault is, for the CLI and the errors' readers. */
export type RuleMatch = MatchedRule & { kind: RuleKind };

/** Codes longer than this are not matched against patterns (they are not codes). */
export const MAX_CODE = 256;
/** Texts (fault strings, detail values) are matched against patterns on this many characters. */
export const MAX_TEXT = 4096;
/** Elements a detailPath may visit per rule and fault. */
const MAX_VISITED = 2000;

const CRITERIA = ['faultCode', 'faultCodePattern', 'faultString', 'faultStringPattern', 'status', 'codePointer', 'messagePointer', 'detailPath', 'detailValue', 'detailPattern'] as const;
type PatternField = 'faultCodePattern' | 'faultStringPattern' | 'detailPattern';

const compiled = new WeakMap<ErrorRule, Partial<Record<PatternField, LinearRegExp>>>();

/** In linear time: the text comes from the provider's answer, whatever it holds. */
function patternOf(rule: ErrorRule, field: PatternField, index: number): LinearRegExp {
  let res = compiled.get(rule);
  if (!res) compiled.set(rule, (res = {}));
  let re = res[field];
  if (!re) {
    try {
      re = linearRegExp(rule[field]!);
    } catch (err) {
      throw new TypeError(`errors.rules[${index}].${field} is not a regular expression wasl can use: ${(err as Error).message}`, { cause: err });
    }
    res[field] = re;
  }
  return re;
}

/** RFC 6901 JSON pointer lookup; undefined when the path does not exist. */
export function atPointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  if (!pointer.startsWith('/')) return undefined;
  let cur: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      cur = cur[Number(token)];
    } else if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, token)) {
      cur = (cur as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return cur;
}

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function codeFor(rule: ErrorRule, fault: FaultFacts): string | undefined {
  if (rule.codePointer !== undefined) return scalar(atPointer(fault.body, rule.codePointer));
  return fault.faultCode ?? scalar(atPointer(fault.body, '/code'));
}

function textFor(rule: ErrorRule, fault: FaultFacts): string | undefined {
  if (rule.messagePointer !== undefined) return scalar(atPointer(fault.body, rule.messagePointer))?.trim();
  if (fault.faultString !== undefined) return fault.faultString.trim();
  return (typeof fault.body === 'string' ? fault.body : scalar(atPointer(fault.body, '/message')))?.trim();
}

function matchesText(rule: ErrorRule, field: 'faultStringPattern' | 'detailPattern', index: number, text: string): boolean {
  return patternOf(rule, field, index).test(text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text);
}

function localName(qname: string): string {
  const i = qname.indexOf(':');
  return i < 0 ? qname : qname.slice(i + 1);
}

function ownText(el: XmlElement): string {
  let s = '';
  for (const c of el.children) if (typeof c === 'string') s += c;
  return s.trim();
}

/** Elements at `path` (local names, * any) from `top`, breadth by breadth, at most MAX_VISITED visited. */
export function elementsAt(top: readonly XmlElement[], path: string): XmlElement[] {
  const steps = path.split('/').map(localName);
  let level: readonly XmlElement[] = top;
  let visited = 0;
  for (let s = 0; s < steps.length; s++) {
    const step = steps[s]!;
    const next: XmlElement[] = [];
    for (const el of level) {
      if (++visited > MAX_VISITED) return [];
      if (step !== '*' && el.local !== step) continue;
      if (s === steps.length - 1) next.push(el);
      else for (const c of el.children) if (typeof c !== 'string') next.push(c);
    }
    level = next;
    if (!level.length) return [];
  }
  return level as XmlElement[];
}

function detailHolds(rule: ErrorRule, index: number, fault: FaultFacts): boolean {
  const found = elementsAt(fault.detail ?? [], rule.detailPath!);
  if (rule.detailValue === undefined && rule.detailPattern === undefined) return found.length > 0;
  return found.some((el) => {
    const t = ownText(el);
    if (rule.detailValue !== undefined && t !== rule.detailValue) return false;
    return rule.detailPattern === undefined || matchesText(rule, 'detailPattern', index, t);
  });
}

function holds(rule: ErrorRule, index: number, fault: FaultFacts): boolean {
  if (rule.status !== undefined && rule.status !== fault.status) return false;
  const code = codeFor(rule, fault);
  if (rule.codePointer !== undefined && code === undefined && atPointer(fault.body, rule.codePointer) === undefined) return false;
  if (rule.faultCode !== undefined && rule.faultCode !== code) return false;
  if (rule.faultCodePattern !== undefined && (code === undefined || code.length > MAX_CODE || !patternOf(rule, 'faultCodePattern', index).test(code))) return false;
  if (rule.faultString !== undefined || rule.faultStringPattern !== undefined) {
    const text = textFor(rule, fault);
    if (text === undefined) return false;
    if (rule.faultString !== undefined && rule.faultString.trim() !== text) return false;
    if (rule.faultStringPattern !== undefined && !matchesText(rule, 'faultStringPattern', index, text)) return false;
  }
  if (rule.detailPath !== undefined && !detailHolds(rule, index, fault)) return false;
  return true;
}

function criteriaOf(rule: ErrorRule): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of CRITERIA) if (rule[k] !== undefined) out[k] = rule[k];
  return out;
}

/** The first rule that matches the fault, or undefined. */
export function matchRule(rules: ErrorMapping | undefined, fault: FaultFacts): (RuleMatch & { rule: ErrorRule; code?: string }) | undefined {
  const list = rules?.rules;
  if (!list?.length) return undefined;
  for (let i = 0; i < list.length; i++) {
    const rule = list[i]!;
    if (!holds(rule, i, fault)) continue;
    return { index: i, kind: rule.kind ?? 'refusal', criteria: criteriaOf(rule), rule, code: codeFor(rule, fault) };
  }
  return undefined;
}

/** One line for people: `errors.rules[2] (transient): faultStringPattern "^SERVICE_UNAVAILABLE"`. */
export function describeRule(m: RuleMatch): string {
  const parts = Object.entries(m.criteria).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
  return `errors.rules[${m.index}] (${m.kind}): ${parts.length ? parts.join(', ') : 'no criteria (catch-all)'}`;
}

function refusalOf(m: RuleMatch & { rule: ErrorRule; code?: string }, fault: FaultFacts, meta: RefusalMeta): MappedRefusal {
  const { providerMessage, ...callMeta } = meta;
  // A rule may match text that is no code (a pattern's prefix): that text is not repeated.
  const providerCode = codeShaped(m.code) ?? (fault.status !== undefined ? `HTTP ${fault.status}` : '');
  // The schema requires a reason of refusal rules; a file that skipped validation still gets one.
  const refusal: MappedRefusal = new BusinessRefusal(m.rule.reason ?? 'refused', providerCode, providerMessage, callMeta);
  if (m.rule.message) refusal.text = m.rule.message;
  refusal.rule = { index: m.index, kind: m.kind, criteria: m.criteria };
  return refusal;
}

/** A business refusal when the first matching rule is a refusal rule; undefined otherwise. */
export function mapRefusal(rules: ErrorMapping | undefined, fault: FaultFacts, meta: RefusalMeta = {}): MappedRefusal | undefined {
  const m = matchRule(rules, fault);
  return m?.kind === 'refusal' ? refusalOf(m, fault, meta) : undefined;
}

/**
 * What a fault becomes: the first matching rule decides (refusal, transient or permanent);
 * without one, the connector's own ProviderFault (`unmapped`), told that no rule matched.
 */
export function mapFault(rules: ErrorMapping | undefined, fault: FaultFacts, meta: RefusalMeta, unmapped: FaultDetail & { transient: boolean }): ProviderFault | MappedRefusal {
  const m = matchRule(rules, fault);
  if (m?.kind === 'refusal') return refusalOf(m, fault, meta);
  const { providerMessage, ...callMeta } = meta;
  const detail = { ...unmapped, providerMessage: unmapped.providerMessage ?? providerMessage, ...(m ? { transient: m.kind === 'transient' } : {}) };
  const err = new ProviderFault(detail, callMeta);
  if (m) err.rule = { index: m.index, kind: m.kind, criteria: m.criteria };
  return err;
}
