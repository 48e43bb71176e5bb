/**
 * Schema errors as the problem document's `errors`: a JSON pointer and a text in English and
 * Arabic saying what is expected. A rule's own text is the `x-wasl-message` annotation of the
 * schema node that holds it (contracts/order.schema.json; a service's fields schema may carry it
 * too), for that node's form: its pattern, format or discriminator. Every other keyword — and a
 * form without an annotation — gets the keyword's text with its limit ("at least 3 characters
 * long", "one of: a, b"). docs/errors.md lists both (test/hub/field-errors.test.ts keeps it in
 * step). Texts never echo what was sent: only the schema's own limits and values.
 */
import { MESSAGE_KEYWORD, patternsWithPointers, pointErrors, type PointedError, type RuleMessage } from '../contracts';
import type { ErrorObject } from 'ajv';
import type { FieldError } from './errors';

/** The keywords a node's `x-wasl-message` speaks for: its form. Lengths, ranges, types, enums speak for themselves. */
export const ANNOTATED_KEYWORDS: ReadonlySet<string> = new Set(['pattern', 'format', 'discriminator', 'oneOf', 'anyOf', 'not']);

/** At most this many errors are reported: enough to fix a form, not a way to amplify a bad body. */
export const MAX_FIELD_ERRORS = 50;

export function fieldErrors(errors: ErrorObject[] | null | undefined, prefix = ''): FieldError[] {
  return pointErrors(errors, prefix)
    .slice(0, MAX_FIELD_ERRORS)
    .map((e) => {
      const m = messageFor(e);
      return { pointer: e.pointer, detail: m.en, detailAr: m.ar };
    });
}

export function fieldError(pointer: string, detail: string, detailAr: string): FieldError {
  return { pointer, detail, detailAr };
}

/** What one error says: the failing node's own message for its form, else the keyword's. */
export function messageFor(e: Pick<PointedError, 'keyword' | 'params' | 'parentSchema'>): RuleMessage {
  const own = ANNOTATED_KEYWORDS.has(e.keyword) ? ruleMessage(e.parentSchema) : undefined;
  return own ?? genericMessage(e.keyword, e.params);
}

/** A schema node's `x-wasl-message`, when it has a well-formed one. */
export function ruleMessage(node: unknown): RuleMessage | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const m = (node as Record<string, unknown>)[MESSAGE_KEYWORD] as Partial<RuleMessage> | undefined;
  return m && typeof m.en === 'string' && typeof m.ar === 'string' ? { en: m.en, ar: m.ar } : undefined;
}

/** One rule of a schema that has its own message: where it is, what it checks, and what it says. */
export interface AnnotatedRule {
  /** JSON pointer of the node in its schema, e.g. /$defs/NationalNumber. */
  pointer: string;
  /** The keywords it checks that the message speaks for, e.g. ["pattern"]. */
  checks: string[];
  message: RuleMessage;
}

/**
 * Every node of `schema` holding a form rule — a pattern or a discriminator, or a format it gives its
 * own message (a format's generic text already says what it expects) — with its message if it has one.
 */
export function formRules(schema: unknown): Array<Omit<AnnotatedRule, 'message'> & { message?: RuleMessage }> {
  const out: Array<Omit<AnnotatedRule, 'message'> & { message?: RuleMessage }> = [];
  const walk = (v: unknown, ptr: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${ptr}/${i}`));
    if (typeof v !== 'object' || v === null) return;
    const node = v as Record<string, unknown>;
    const checks = [
      ...(typeof node.pattern === 'string' ? ['pattern'] : []),
      ...(typeof node.format === 'string' && ruleMessage(node) ? [`format ${node.format}`] : []),
      ...(typeof node.discriminator === 'object' && node.discriminator !== null ? ['discriminator'] : []),
    ];
    if (checks.length > 0) {
      const message = ruleMessage(node);
      out.push({ pointer: ptr, checks, ...(message ? { message } : {}) });
    }
    for (const [k, x] of Object.entries(node)) {
      // Instance data and annotations, not schemas.
      if (['examples', 'example', 'const', 'enum', 'default', MESSAGE_KEYWORD].includes(k)) continue;
      walk(x, `${ptr}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    }
  };
  walk(schema, '');
  return out;
}

/** The patterns of `schema` whose node has no x-wasl-message: they get the generic text. */
export function patternsWithoutMessage(schema: unknown): string[] {
  const annotated = new Set(formRules(schema).filter((r) => r.message).map((r) => `${r.pointer}/pattern`));
  return patternsWithPointers(schema)
    .filter((p) => p.pointer.endsWith('/pattern') && !annotated.has(p.pointer))
    .map((p) => p.pointer);
}

// ---------------------------------------------------------------------------------------------
// The generic texts, per keyword, with the schema's limit.

type Counted = { one: string; two: string; few: string; many: string; hundreds: string };
/** Arabic counted nouns, accusative (after "يجب أن يكون …"): 1 and 2 without the digit, 3–10 plural, 11–99 singular, 100, 200… genitive singular. */
const CHARACTERS: Counted = { one: 'محرفاً واحداً', two: 'محرفين', few: 'محارف', many: 'محرفاً', hundreds: 'محرف' };
const ITEMS: Counted = { one: 'عنصراً واحداً', two: 'عنصرين', few: 'عناصر', many: 'عنصراً', hundreds: 'عنصر' };
const MEMBERS: Counted = { one: 'حقلاً واحداً', two: 'حقلين', few: 'حقول', many: 'حقلاً', hundreds: 'حقل' };
const DIGITS: Counted = { one: 'رقماً واحداً', two: 'رقمين', few: 'أرقام', many: 'رقماً', hundreds: 'رقم' };

export function arabicCount(n: number, noun: Counted): string {
  if (n === 1) return noun.one;
  if (n === 2) return noun.two;
  const r = n % 100;
  if (r >= 3 && r <= 10) return `${n} ${noun.few}`;
  if (r >= 11 || n < 100) return `${n} ${noun.many}`;
  return `${n} ${noun.hundreds}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const list = (values: unknown[], sep: string) => values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(sep);

const TYPES: Record<string, RuleMessage> = {
  string: { en: 'text (a JSON string)', ar: 'نصاً (string)' },
  number: { en: 'a number', ar: 'رقماً (number)' },
  integer: { en: 'a whole number', ar: 'عدداً صحيحاً (integer)' },
  boolean: { en: 'true or false', ar: 'true أو false' },
  object: { en: 'an object', ar: 'كائناً (object)' },
  array: { en: 'a list (a JSON array)', ar: 'قائمة (array)' },
  null: { en: 'null', ar: 'null' },
};

const FORMATS: Record<string, RuleMessage> = {
  date: { en: 'must be a date as YYYY-MM-DD (e.g. 1990-04-12)', ar: 'يجب أن يكون تاريخاً بالصيغة YYYY-MM-DD (مثل 1990-04-12)' },
  'date-time': { en: 'must be a date and time as in RFC 3339, with its offset (e.g. 2026-04-12T09:30:00Z)', ar: 'يجب أن يكون تاريخاً ووقتاً بصيغة RFC 3339 مع فرق التوقيت (مثل 2026-04-12T09:30:00Z)' },
  time: { en: 'must be a time as HH:MM:SS with its offset (e.g. 09:30:00Z)', ar: 'يجب أن يكون وقتاً بالصيغة HH:MM:SS مع فرق التوقيت (مثل 09:30:00Z)' },
  email: { en: 'must be an email address (e.g. name@example.org)', ar: 'يجب أن يكون عنوان بريد إلكتروني (مثل name@example.org)' },
  uri: { en: 'must be an absolute URI (e.g. https://example.org/path)', ar: 'يجب أن يكون عنواناً كاملاً (URI، مثل https://example.org/path)' },
  uuid: { en: 'must be a UUID (e.g. 3ee2ee6b-fc3b-4aed-a4d9-1643ca255de3)', ar: 'يجب أن يكون معرّفاً بصيغة UUID (مثل 3ee2ee6b-fc3b-4aed-a4d9-1643ca255de3)' },
};

/** A pattern of digits only, e.g. ^[0-9]{11}$ or ^[0-9]{4,8}$, said in words; anything else by the generic text. */
function digitsPattern(pattern: unknown): RuleMessage | undefined {
  const m = typeof pattern === 'string' ? /^\^(?:\[0-9\]|\\d)\{(\d+)(?:,(\d+))?\}\$$/.exec(pattern) : null;
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (min === max) return { en: `must be exactly ${plural(min, 'digit')} (0–9)`, ar: `يجب أن يتكون من ${arabicCount(min, DIGITS)} بالضبط (0–9)` };
  return { en: `must be ${min} to ${max} digits (0–9)`, ar: `يجب أن يتكون من ${min} إلى ${arabicCount(max, DIGITS)} (0–9)` };
}

/** The text for a keyword that failed, from its parameters (the schema's limit or values). */
export function genericMessage(keyword: string, params: Record<string, unknown> = {}): RuleMessage {
  const n = Number(params.limit);
  switch (keyword) {
    case 'required':
      return { en: 'is required', ar: 'حقل مطلوب' };
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return { en: 'is not allowed here', ar: 'حقل غير مسموح به هنا' };
    case 'type': {
      const types = (Array.isArray(params.type) ? params.type : String(params.type ?? '').split(',')).map((t) => TYPES[String(t)] ?? { en: String(t), ar: String(t) });
      return { en: `must be ${types.map((t) => t.en).join(' or ')}`, ar: `يجب أن يكون ${types.map((t) => t.ar).join(' أو ')}` };
    }
    case 'enum': {
      const values = Array.isArray(params.allowedValues) ? params.allowedValues : [];
      return { en: `must be one of: ${list(values, ', ')}`, ar: `يجب أن يكون واحداً من: ${list(values, '، ')}` };
    }
    case 'const':
      return { en: `must be ${JSON.stringify(params.allowedValue)}`, ar: `يجب أن تكون القيمة ${JSON.stringify(params.allowedValue)}` };
    case 'pattern':
      return digitsPattern(params.pattern) ?? { en: 'does not have the form this field expects', ar: 'ليس بالصيغة التي يتطلبها هذا الحقل' };
    case 'format':
      return FORMATS[String(params.format)] ?? { en: `must be in the ${String(params.format)} format`, ar: `يجب أن يكون بصيغة ${String(params.format)}` };
    case 'minLength':
      return { en: `must be at least ${plural(n, 'character')} long`, ar: `يجب أن يكون طوله ${arabicCount(n, CHARACTERS)} على الأقل` };
    case 'maxLength':
      return { en: `must be at most ${plural(n, 'character')} long`, ar: `يجب أن يكون طوله ${arabicCount(n, CHARACTERS)} على الأكثر` };
    case 'minimum':
      return { en: `must be at least ${n}`, ar: `يجب ألا تقل القيمة عن ${n}` };
    case 'maximum':
      return { en: `must be at most ${n}`, ar: `يجب ألا تزيد القيمة على ${n}` };
    case 'exclusiveMinimum':
      return { en: `must be greater than ${n}`, ar: `يجب أن تكون القيمة أكبر من ${n}` };
    case 'exclusiveMaximum':
      return { en: `must be less than ${n}`, ar: `يجب أن تكون القيمة أصغر من ${n}` };
    case 'multipleOf':
      return { en: `must be a multiple of ${Number(params.multipleOf)}`, ar: `يجب أن تكون القيمة من مضاعفات ${Number(params.multipleOf)}` };
    case 'minItems':
      return { en: `must have at least ${plural(n, 'item')}`, ar: `يجب أن تحوي ${arabicCount(n, ITEMS)} على الأقل` };
    case 'maxItems':
      return { en: `must have at most ${plural(n, 'item')}`, ar: `يجب أن تحوي ${arabicCount(n, ITEMS)} على الأكثر` };
    case 'uniqueItems':
      return { en: 'must not hold the same item twice', ar: 'يجب ألا يتكرر فيها عنصر' };
    case 'minProperties':
      return { en: `must have at least ${plural(n, 'member')}`, ar: `يجب أن يحوي ${arabicCount(n, MEMBERS)} على الأقل` };
    case 'maxProperties':
      return { en: `must have at most ${plural(n, 'member')}`, ar: `يجب أن يحوي ${arabicCount(n, MEMBERS)} على الأكثر` };
    case 'propertyNames':
      return { en: 'has a member whose name is not allowed', ar: 'فيه حقل اسمه غير مسموح' };
    case 'dependentRequired':
      return { en: `needs ${String(params.missingProperty)} as well, when it has ${String(params.property)}`, ar: `يلزمه الحقل ${String(params.missingProperty)} أيضاً حين يحوي ${String(params.property)}` };
    case 'discriminator':
      return params.error === 'tag'
        ? { en: `needs "${String(params.tag)}" as text`, ar: `يلزمه الحقل "${String(params.tag)}" نصاً` }
        : { en: `has a "${String(params.tag)}" that is not one of the allowed kinds`, ar: `قيمة "${String(params.tag)}" فيه ليست من الأنواع المسموحة` };
    case 'oneOf':
      return params.passingSchemas
        ? { en: 'matches more than one of its alternatives (exactly one is allowed)', ar: 'يطابق أكثر من بديل من بدائله، والمسموح بديل واحد' }
        : { en: 'matches none of its alternatives', ar: 'لا يطابق أياً من بدائله' };
    case 'anyOf':
      return { en: 'matches none of its alternatives', ar: 'لا يطابق أياً من بدائله' };
    case 'not':
      return { en: 'has a form that is not allowed here', ar: 'صيغته غير مسموحة هنا' };
    default:
      return { en: 'is invalid', ar: 'قيمة غير صالحة' };
  }
}
