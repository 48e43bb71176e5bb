/**
 * A streaming reader of MIME multipart bodies (RFC 2046 §5.1) for multipart/related SOAP
 * responses — MTOM/XOP and SOAP with Attachments. It pulls chunks from the response as the
 * caller asks for events, so the caller's pace (a document sink writing to disk) is the
 * network's pace, and nothing is held but the boundary-sized tail of the last chunk and a part's
 * headers (bounded by `maxHeaderBytes`).
 *
 * Written here rather than taken from a library because none fits: busboy and @fastify/busboy
 * parse multipart/form-data only (busboy skips every part without `Content-Disposition:
 * form-data`, which no MTOM part has); dicer, which did parse any multipart, is no longer
 * developed (busboy 1.x absorbed it); formidable's MultipartParser, which node-soap uses for
 * MTOM, streams but refuses header names holding a digit (`Content-MD5`), has no bound on part
 * headers, hands out a reused look-behind buffer, ships no types and is only a transitive
 * dependency here. The parser below is a delimiter search with Buffer.indexOf (native, so a
 * 1 MB part costs a few memchr passes), in about a hundred lines.
 *
 * Every refusal is an UnsafeResponse('malformed') that names the rule, never content.
 */
import { UnsafeResponse } from '../errors';

export type MultipartEvent =
  | { kind: 'part'; headers: Record<string, string> }
  | { kind: 'data'; chunk: Buffer }
  | { kind: 'end-part' };

export interface MultipartOptions {
  /** Largest header block of one part (default 16 KB). */
  maxHeaderBytes?: number;
  /** Largest preamble before the first delimiter (default 64 KB): a wrong boundary ends here, not at the end of the body. */
  maxPreambleBytes?: number;
  /** Most parts (default 100): every part costs the caller a little (a sink entry, a drain). */
  maxParts?: number;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

function malformed(detail: string): UnsafeResponse {
  return new UnsafeResponse('malformed', `multipart body: ${detail}`);
}

/**
 * The parts of a multipart body, as events: `part` (its headers, names lower-cased), `data`
 * (its content, in order, in chunks that are views of the received ones), `end-part`. Ends after
 * the close delimiter; throws when the body ends without one, or breaks a limit. The epilogue
 * (after the close delimiter) is read and dropped, up to the preamble limit, so a keep-alive
 * socket stays reusable.
 */
export async function* readMultipart(source: AsyncIterable<Buffer> | Iterable<Buffer>, boundary: string, opts: MultipartOptions = {}): AsyncGenerator<MultipartEvent> {
  if (!/^[0-9A-Za-z'()+_,\-./:=? ]{1,70}$/.test(boundary) || boundary.endsWith(' ')) throw malformed('invalid boundary');
  const maxHeader = opts.maxHeaderBytes ?? 16 * 1024;
  const maxPreamble = opts.maxPreambleBytes ?? 64 * 1024;
  const maxParts = opts.maxParts ?? 100;
  // Every delimiter is CRLF--boundary; the body is read as if it began with CRLF, so a first
  // delimiter at offset 0 (most stacks) and one after a CRLF (CXF, Axis) are found alike.
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let buf: Buffer = CRLF;
  let state: 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'epilogue' = 'preamble';
  let skipped = 0;
  let parts = 0;

  const it: AsyncIterator<Buffer> | Iterator<Buffer> = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const more = async (): Promise<boolean> => {
    const r = await it.next();
    if (r.done) return false;
    const chunk = r.value;
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    return true;
  };

  try {
    for (;;) {
      if (state === 'preamble') {
        const i = buf.indexOf(delimiter);
        if (i >= 0) {
          buf = buf.subarray(i + delimiter.length);
          state = 'after-delimiter';
          continue;
        }
        // Keep what could be the start of a delimiter cut by the chunk's end.
        const keep = Math.min(buf.length, delimiter.length - 1);
        skipped += buf.length - keep;
        if (skipped > maxPreamble) throw malformed('no delimiter with the declared boundary');
        buf = buf.subarray(buf.length - keep);
        if (!(await more())) throw malformed('no delimiter with the declared boundary');
        continue;
      }
      if (state === 'after-delimiter') {
        // `--` closes the body; otherwise optional transport padding (spaces, tabs), then CRLF.
        let i = 0;
        if (buf.length >= 2 && buf[0] === 0x2d && buf[1] === 0x2d) {
          state = 'epilogue';
          skipped = 0;
          buf = buf.subarray(2);
          continue;
        }
        while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
        if (buf.length - i >= 2) {
          if (buf[i] !== 0x0d || buf[i + 1] !== 0x0a) throw malformed('a delimiter is not followed by CRLF');
          buf = buf.subarray(i + 2);
          if (++parts > maxParts) throw malformed(`more than ${maxParts} parts`);
          state = 'headers';
          continue;
        }
        if (i > 256) throw malformed('a delimiter is not followed by CRLF');
        if (!(await more())) throw malformed('the body ends after a delimiter');
        continue;
      }
      if (state === 'headers') {
        // A part without headers starts with the empty line at once.
        const end = buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a ? -2 : buf.indexOf(HEADER_END);
        if (end === -1) {
          if (buf.length > maxHeader) throw malformed(`part headers over ${maxHeader} bytes`);
          if (!(await more())) throw malformed('the body ends inside part headers');
          continue;
        }
        if (end > maxHeader) throw malformed(`part headers over ${maxHeader} bytes`);
        const headers = end < 0 ? {} : parseHeaders(buf.subarray(0, end).toString('latin1'));
        buf = buf.subarray(end < 0 ? 2 : end + 4);
        state = 'body';
        yield { kind: 'part', headers };
        continue;
      }
      if (state === 'body') {
        const i = buf.indexOf(delimiter);
        if (i >= 0) {
          if (i > 0) yield { kind: 'data', chunk: buf.subarray(0, i) };
          buf = buf.subarray(i + delimiter.length);
          state = 'after-delimiter';
          yield { kind: 'end-part' };
          continue;
        }
        const keep = Math.min(buf.length, delimiter.length - 1);
        if (buf.length > keep) {
          const out = buf.subarray(0, buf.length - keep);
          // The tail is copied: it outlives the chunk it came from, which the caller may still hold.
          buf = Buffer.from(buf.subarray(buf.length - keep));
          yield { kind: 'data', chunk: out };
        }
        if (!(await more())) throw malformed('the body ends before the close delimiter');
        continue;
      }
      // Epilogue: dropped, bounded.
      skipped += buf.length;
      buf = Buffer.alloc(0);
      if (skipped > maxPreamble) return;
      if (!(await more())) return;
    }
  } finally {
    // Stopping early (a refusal, the caller breaking out) releases the source: a response stream is destroyed.
    await it.return?.();
  }
}

/** Header lines (folded continuations joined), names lower-cased; a repeated name keeps the first. */
function parseHeaders(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = block.split('\r\n');
  let name = '';
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && name) {
      out[name] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('a part header line has no name');
    const n = line.slice(0, colon).trim().toLowerCase();
    if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(n)) throw malformed('a part header name is not a token');
    name = n;
    if (!(n in out)) out[n] = line.slice(colon + 1).trim();
    else name = '';
  }
  return out;
}

export interface MediaType {
  /** `type/subtype`, lower-case. */
  type: string;
  /** Parameters, names lower-case, values unquoted. */
  params: Record<string, string>;
}

/** A Content-Type value (RFC 9110 §8.3.1): parameters quoted or not; undefined when it has no type/subtype. */
export function parseMediaType(value: string | undefined): MediaType | undefined {
  if (!value) return undefined;
  const m = /^\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*/.exec(value);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /;\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))\s*/g;
  re.lastIndex = m[0].length;
  let p: RegExpExecArray | null;
  while ((p = re.exec(value))) {
    const key = p[1]!.toLowerCase();
    if (!(key in params)) params[key] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { type: m[1]!.toLowerCase(), params };
}

/** A Content-ID header (`<id>`) or a `cid:` URL (RFC 2392, percent-encoded) as the bare id, for matching one to the other. */
export function contentId(value: string, fromUrl = false): string {
  let v = value.trim();
  if (fromUrl) {
    v = v.replace(/^cid:/i, '');
    try {
      v = decodeURIComponent(v);
    } catch {
      /* kept as written */
    }
  }
  if (v.startsWith('<') && v.endsWith('>')) v = v.slice(1, -1);
  return v;
}

/** The file name a part's Content-Disposition gives (`filename=`, or RFC 5987 `filename*=`), when it gives one. */
export function filenameOf(disposition: string | undefined): string | undefined {
  if (!disposition) return undefined;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;\s]+)/i.exec(disposition);
  if (star) {
    try {
      return cleanName(decodeURIComponent(star[2]!));
    } catch {
      /* fall through to the plain form */
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(disposition);
  const name = plain ? (plain[1]?.replace(/\\(.)/g, '$1') ?? plain[2]) : undefined;
  return name ? cleanName(name) : undefined;
}

/** Only the last path segment, without control characters, at most 255 characters: a file name is the provider's text. */
function cleanName(name: string): string | undefined {
  const base = name.split(/[\\/]/).pop()!.replace(/[\x00-\x1f\x7f]/g, '').trim().slice(0, 255);
  return base || undefined;
}

/**
 * Undoes a part's `Content-Transfer-Encoding: base64` as it streams (some SwA stacks encode
 * attachments so). Line breaks and padding are allowed anywhere, any other character is refused.
 */
export class Base64Decoder {
  private carry = '';
  write(chunk: Buffer): Buffer {
    const text = this.carry + chunk.toString('latin1').replace(/[\r\n\t ]/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw malformed('a base64 part holds characters outside base64');
    const whole = text.length - (text.length % 4);
    this.carry = text.slice(whole);
    return Buffer.from(text.slice(0, whole), 'base64');
  }
  end(): Buffer {
    if (this.carry.length === 0) return Buffer.alloc(0);
    if (this.carry.length === 1) throw malformed('a base64 part is truncated');
    const out = Buffer.from(this.carry, 'base64');
    this.carry = '';
    return out;
  }
}
