/**
 * Which code points a one-character ECMAScript pattern (a class, a property, a class minus
 * another) matches, as ranges, read from V8 itself: what the linear-time engine
 * (linear-regexp.ts) needs where RE2 has no name or no syntax for a set, so the set means exactly
 * what it means to V8 with the `u` flag.
 */

export const MAX_CP = 0x10ffff;
export type Range = readonly [number, number];

export function complement(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: Range[] = [];
  let next = 0;
  for (const [a, b] of sorted) {
    if (a > next) out.push([next, a - 1]);
    next = Math.max(next, b + 1);
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

/** Sticky, so a long class is not copied at every escape. */
const BRACED = /\\u\{([0-9a-fA-F]+)\}/y;
const HEX4 = /\\u([0-9a-fA-F]{4})/y;
const HEX2 = /\\x([0-9a-fA-F]{2})/y;

const enumerated = new Map<string, Range[]>();

/** Every scalar value in order, surrogates left out (a pair of them would read as one astral character). */
function everyCodePoint(): string {
  const u = new Uint16Array(0xd800 + 0x2000 + 0x100000 * 2);
  let k = 0;
  for (let c = 0; c < 0xd800; c++) u[k++] = c;
  for (let c = 0xe000; c < 0x10000; c++) u[k++] = c;
  for (let c = 0; c < 0x100000; c++) {
    u[k++] = 0xd800 + (c >> 10);
    u[k++] = 0xdc00 + (c & 0x3ff);
  }
  return Buffer.from(u.buffer, 0, k * 2).toString('utf16le');
}

/**
 * Where a class written only with characters, escapes of characters and ranges can change from
 * matching to not: at each code point it names and just after. Undefined when it uses a class
 * escape or a property, whose members only V8's tables know.
 */
function breakpoints(classSource: string): number[] | undefined {
  // Over-cautious on purpose (any dot, a \uD8xx that may pair with the next escape): the full scan is only slower.
  if (/\\[pPdDwWsSbBk]|\.|\\u[dD][89a-fA-F]/.test(classSource)) return undefined;
  const points = new Set([0, 0xd800, 0xe000, MAX_CP + 1]);
  const add = (cp: number) => points.add(cp).add(cp + 1);
  const CONTROL: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, f: 0x0c, v: 0x0b, '0': 0 };
  for (let i = 0; i < classSource.length; ) {
    if (classSource[i] !== '\\') {
      const cp = classSource.codePointAt(i)!;
      add(cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = classSource[i + 1]!;
    const sticky = e === 'u' ? (classSource[i + 2] === '{' ? BRACED : HEX4) : e === 'x' ? HEX2 : undefined;
    if (sticky) sticky.lastIndex = i;
    const m = sticky?.exec(classSource);
    if (m) {
      add(parseInt(m[1]!, 16));
      i += m[0].length;
    } else if (e === 'c') {
      add(classSource.charCodeAt(i + 2) % 32);
      i += 3;
    } else {
      add(CONTROL[e] ?? e.codePointAt(0)!);
      i += 2;
    }
  }
  return [...points].sort((a, b) => a - b);
}

/**
 * The code points a one-character ECMAScript pattern matches, as ranges, from V8 itself: tested
 * at its breakpoints when it has only explicit characters, else in one pass over every code
 * point. Each distinct class is read once per process.
 */
export function codePointsOf(classSource: string): Range[] {
  const hit = enumerated.get(classSource);
  if (hit) return hit;
  const out: Range[] = [];
  const one = new RegExp(`^${classSource}$`, 'u');
  const points = breakpoints(classSource);
  if (points) {
    // Membership is the same from one breakpoint to the next: one test per interval.
    for (let k = 0; k + 1 < points.length; k++) {
      const a = points[k]!;
      const b = points[k + 1]! - 1;
      if (!one.test(String.fromCodePoint(a))) continue;
      const prev = out[out.length - 1];
      if (prev && prev[1] === a - 1) out[out.length - 1] = [prev[0], b];
      else out.push([a, b]);
    }
    enumerated.set(classSource, out);
    return out;
  }
  let from = -1;
  for (let c = 0xd800; c <= 0xdfff; c++) {
    if (one.test(String.fromCharCode(c))) {
      if (from < 0) from = c;
    } else if (from >= 0) {
      out.push([from, c - 1]);
      from = -1;
    }
  }
  if (from >= 0) out.push([from, 0xdfff]);
  // Built each time (some 40 ms), not kept: 4 MB held for a rare need.
  for (const m of everyCodePoint().matchAll(new RegExp(`${classSource}+`, 'gu'))) {
    const run = m[0];
    const first = run.codePointAt(0)!;
    const last = run.codePointAt(run.length - 1 - (run.length > 1 && (run.charCodeAt(run.length - 1) & 0xfc00) === 0xdc00 ? 1 : 0))!;
    // The string skips the surrogates: a run across them is two runs (the surrogates were read above).
    if (first < 0xd800 && last > 0xdfff) out.push([first, 0xd7ff], [0xe000, last]);
    else out.push([first, last]);
  }
  out.sort((x, y) => x[0] - y[0]);
  enumerated.set(classSource, out);
  return out;
}
