/**
 * From what the provider sent to the characters parseXml scans: the size limit checked first
 * (on bytes, before any decoding), a BOM dropped, UTF-8 validated, and a legacy encoding named
 * by the XML declaration (ISO-8859-1, windows-1256…) decoded exactly or refused.
 */
import { isUtf8 } from 'node:buffer';
import { UnsafeResponse } from '../errors';

export const DECL = /<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(?:\s+encoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\4)?\s*\?>/y;

export function refuse(limit: UnsafeResponse['limit'], detail: string): UnsafeResponse {
  return new UnsafeResponse(limit, detail);
}
export function malformed(detail: string, at: number): UnsafeResponse {
  return new UnsafeResponse('malformed', `${detail} at offset ${at}`);
}

export function fromString(xml: string, maxBytes: number): string {
  // UTF-8 takes at least one byte per UTF-16 unit and at most three: count only when in doubt.
  if (xml.length > maxBytes || (xml.length * 3 > maxBytes && Buffer.byteLength(xml, 'utf8') > maxBytes)) throw refuse('size', `document over ${maxBytes} bytes`);
  return xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
}

export function fromBuffer(buf: Buffer, maxBytes: number): string {
  if (buf.length > maxBytes) throw refuse('size', `document over ${maxBytes} bytes`);
  if ((buf[0] === 0xfe && buf[1] === 0xff) || (buf[0] === 0xff && buf[1] === 0xfe)) throw malformed('UTF-16 documents are not supported', 0);
  const start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const body = start ? buf.subarray(start) : buf;
  const encoding = declaredEncoding(body);
  if (encoding === undefined || encoding === 'utf-8' || encoding === 'utf8' || encoding === 'us-ascii' || encoding === 'ascii') {
    if (!isUtf8(body)) throw malformed('invalid UTF-8', 0);
    return body.toString('utf8');
  }
  if (encoding === 'iso-8859-1' || encoding === 'latin1') return body.toString('latin1');
  if (encoding.startsWith('utf-16') || encoding.startsWith('utf-32')) throw malformed('a UTF-16/32 declaration in a byte-oriented document', 0);
  // Legacy single-byte encodings (windows-1256 for Arabic…) decoded exactly, or refused.
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch {
    throw malformed('unsupported encoding', 0);
  }
  try {
    return decoder.decode(body);
  } catch {
    throw malformed(`invalid ${decoder.encoding}`, 0);
  }
}

/** The encoding named by the XML declaration, read as ASCII before decoding. */
function declaredEncoding(buf: Buffer): string | undefined {
  if (!/^<\?xml\s/.test(buf.toString('latin1', 0, 6))) return undefined;
  const end = buf.indexOf('?>', 0, 'latin1');
  if (end < 0 || end > 256) return undefined; // parse() reports the bad declaration
  DECL.lastIndex = 0;
  const m = DECL.exec(buf.toString('latin1', 0, end + 2));
  return m?.[3]?.toLowerCase();
}
