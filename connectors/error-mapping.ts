/**
 * A provider's own refusal codes mapped to wasl's business reasons, by configuration (the
 * provider file's `errors.rules`). The first rule that matches wins; a fault no rule matches
 * stays what it was (a ProviderFault), so it may still be retried or open a breaker.
 *
 * A rule matches when every criterion it gives holds:
 *   faultCode         equals the fault's code (exactly);
 *   faultCodePattern  a regular expression that matches the code (anchor it for a full match);
 *   status            equals the HTTP status;
 * where the code is the SOAP fault code handed in, or, for REST, the value at `codePointer`
 * (default /code) in the decoded error body. A rule without faultCode, pattern or status matches
 * every fault: put it last, as a catch-all.
 */
import { linearRegExp, type LinearRegExp } from '../contracts/linear-regexp';
import type { ErrorMapping, Text } from '../contracts/types';
import { BusinessRefusal, codeShaped, type CallMeta } from './errors';

export interface FaultFacts {
  /** SOAP fault code (or subcode, detail code), or a REST error code already extracted. */
  faultCode?: string;
  status?: number;
  /** Decoded REST error body, for codePointer. */
  body?: unknown;
}

export type RefusalMeta = Partial<CallMeta> & {
  /** The provider's own text, kept apart on the refusal (may carry personal data). */
  providerMessage?: string;
};

/** A refusal with wasl's own text for its reason, from the rule, when the rule gives one. */
export type MappedRefusal = BusinessRefusal & { text?: Text };

type Rule = NonNullable<ErrorMapping['rules']>[number];

/** Codes longer than this are not matched against patterns (they are not codes). */
const MAX_CODE = 256;
const compiled = new WeakMap<Rule, LinearRegExp>();

/** In linear time: the code comes from the provider's answer, whatever it holds. */
function patternOf(rule: Rule, index: number): LinearRegExp {
  let re = compiled.get(rule);
  if (!re) {
    try {
      re = linearRegExp(rule.faultCodePattern!);
    } catch (err) {
      throw new TypeError(`errors.rules[${index}].faultCodePattern is not a regular expression wasl can use: ${(err as Error).message}`, { cause: err });
    }
    compiled.set(rule, re);
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

function codeFor(rule: Rule, fault: FaultFacts): string | undefined {
  let code: unknown;
  if (rule.codePointer !== undefined) code = atPointer(fault.body, rule.codePointer);
  else code = fault.faultCode ?? atPointer(fault.body, '/code');
  if (typeof code === 'string') return code;
  if (typeof code === 'number' || typeof code === 'boolean') return String(code);
  return undefined;
}

export function mapRefusal(rules: ErrorMapping | undefined, fault: FaultFacts, meta: RefusalMeta = {}): MappedRefusal | undefined {
  const list = rules?.rules;
  if (!list?.length) return undefined;
  for (let i = 0; i < list.length; i++) {
    const rule = list[i]!;
    if (rule.status !== undefined && rule.status !== fault.status) continue;
    const code = codeFor(rule, fault);
    if (rule.faultCode !== undefined && rule.faultCode !== code) continue;
    if (rule.faultCodePattern !== undefined && (code === undefined || code.length > MAX_CODE || !patternOf(rule, i).test(code))) continue;
    const { providerMessage, ...callMeta } = meta;
    // A rule may match text that is no code (a pattern's prefix): that text is not repeated.
    const providerCode = codeShaped(code) ?? (fault.status !== undefined ? `HTTP ${fault.status}` : '');
    const refusal: MappedRefusal = new BusinessRefusal(rule.reason, providerCode, providerMessage, callMeta);
    if (rule.message) refusal.text = rule.message;
    return refusal;
  }
  return undefined;
}
