/** Argument parsers the CLI's commands share (commander coercions that refuse bad input with a reason). */
import { InvalidArgumentError } from 'commander';

/** A date or date-time (2026-11-28, 2026-11-28T10:00:00Z). */
export function dateArg(v: string): Date {
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime())) throw new InvalidArgumentError('a date or date-time, e.g. 2026-11-28 or 2026-11-28T10:00:00Z');
  return d;
}

/** An integer from 1 to `max`. */
export const limitArg =
  (max: number) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`an integer from 1 to ${max}`);
    return n;
  };

/** Who runs a command, for the records it writes (the login name; `cli` when the environment has none). */
export const cliUser = (): string => process.env.USER || 'cli';
