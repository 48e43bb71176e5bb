/**
 * Identifiers: a prefix and a ULID — 48 bits of milliseconds, so ids sort by creation time and
 * a date range is an id range; 80 bits from the CSPRNG, so an order id cannot be guessed from
 * another. One caveat: ids one process issues within the same millisecond are monotonic (the
 * random part + 1), so an id tells its same-millisecond neighbours. That keeps creation order
 * exact; it grants nothing, since reading an order needs the key of the channel that owns it.
 */
import { randomFillSync } from 'node:crypto';
import { monotonicFactory, ulid, decodeTime } from 'ulidx';

/**
 * The CSPRNG, read 4 KiB at a time: ulidx's default asks it for one byte per character (16 calls
 * per id), which showed in profiles. A byte / 256 gives each of the 32 characters exactly 8 values.
 */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function prng(): number {
  if (poolAt >= pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]! / 256;
}

// Monotonic within a millisecond keeps ids issued by one process strictly increasing.
const next = monotonicFactory(prng);

/**
 * An order id for an order created at `at` (now by default). Ids made now are monotonic within
 * the process; an id for another time (an import, a test) is a plain ULID of that time, so
 * issuing it does not drag later ids' timestamps along.
 */
export function newOrderId(at?: Date): string {
  const time = at?.getTime();
  if (time === undefined || Math.abs(time - Date.now()) < 1000) return `ord_${next()}`;
  return `ord_${ulid(time, prng)}`;
}
export const newEventId = (): string => `evt_${next()}`;
export const newDeadLetterId = (): string => `dl_${next()}`;

/** ULID time: 48 bits of milliseconds since 1970 (up to the year 10889). */
const MAX_ULID_TIME = 2 ** 48 - 1;

/**
 * The smallest order id that can be issued at or after `at`: lower bound of a date filter. A date
 * outside ULID time (a filter from 1960, or the year 0000 that date-time allows) is clamped to
 * its ends, so it still bounds every id or none instead of throwing.
 */
export function orderIdFloor(at: Date): string {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new RangeError('orderIdFloor: an invalid date');
  return `ord_${ulid(Math.min(Math.max(ms, 0), MAX_ULID_TIME)).slice(0, 10)}0000000000000000`;
}

export function orderIdTime(id: string): Date {
  return new Date(decodeTime(id.slice(4)));
}
