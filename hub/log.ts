/**
 * Structured logs (pino). Lines carry the request id and the order id; citizens' data never
 * appears in clear: every path that can hold it is censored, wherever it sits in a log object.
 */
import pino, { type Logger, type DestinationStream } from 'pino';

const PERSONAL = [
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
];

export const REDACT_PATHS = [
  ...PERSONAL,
  ...PERSONAL.map((p) => `*.${p}`),
  ...PERSONAL.map((p) => `*.*.${p}`),
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'key',
  '*.key',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'wasl' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

export type { Logger };
