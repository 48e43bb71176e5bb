/**
 * The hardened XML parser every connector uses for what a provider sends: a single pass over
 * the string, namespace-aware, with no DTD support at all (so no entity expansion and no
 * external entities: a DOCTYPE is refused as soon as it is seen) and limits on size, depth and
 * element count checked as it goes, so a hostile document costs at most the limits.
 *
 * Written by hand rather than on a general parser because both matter here: control over what
 * is refused, and speed (a typical 2 KB SOAP response parses in a few microseconds).
 *
 * Every refusal is an UnsafeResponse whose text gives the rule and an offset, never content.
 */
import providerSchema from '../../contracts/provider.schema.json';
import { DECL, fromBuffer, fromString, malformed, refuse } from './decode';
import { DECLARATIONS, XML_NS, XMLNS_NS, type XmlAttr, type XmlElement } from './tree';

export { XML_NS, XMLNS_NS, attrOf, childElements, findChild, findChildren, namespacesInScope, resolveQName, textOf } from './tree';
export type { XmlAttr, XmlElement, XmlNode } from './tree';

export interface XmlLimits {
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
}

const limitDefaults = providerSchema.$defs.XmlLimits.properties;
/** From contracts/provider.schema.json (XmlLimits), the one place the numbers are declared. */
export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxBytes: limitDefaults.maxBytes.default,
  maxDepth: limitDefaults.maxDepth.default,
  maxElements: limitDefaults.maxElements.default,
});

const BAD_CHAR = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;

export function parseXml(xml: string | Buffer, limits?: Partial<XmlLimits>): XmlElement {
  const lim: XmlLimits = {
    maxBytes: limits?.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes,
    maxDepth: limits?.maxDepth ?? DEFAULT_XML_LIMITS.maxDepth,
    maxElements: limits?.maxElements ?? DEFAULT_XML_LIMITS.maxElements,
  };
  const s = typeof xml === 'string' ? fromString(xml, lim.maxBytes) : fromBuffer(xml, lim.maxBytes);
  return parse(s, lim);
}

const enum C {
  TAB = 9, LF = 10, CR = 13, SPACE = 32, BANG = 33, DQUOTE = 34, AMP = 38, SQUOTE = 39,
  DASH = 45, SLASH = 47, COLON = 58, LT = 60, EQ = 61, GT = 62, QUESTION = 63, LBRACKET = 91,
}

function isWs(c: number): boolean {
  return c === C.SPACE || c === C.LF || c === C.TAB || c === C.CR;
}

function isNameStart(c: number): boolean {
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
  return (
    (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) || (c >= 0xf8 && c <= 0x2ff) || (c >= 0x370 && c <= 0x37d) ||
    (c >= 0x37f && c <= 0x1fff) || (c >= 0x200c && c <= 0x200d) || (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef) ||
    (c >= 0x3001 && c <= 0xd7ff) || (c >= 0xf900 && c <= 0xfdcf) || (c >= 0xfdf0 && c <= 0xfffd) ||
    (c >= 0xd800 && c <= 0xdbff) // a high surrogate: the supplementary planes #x10000-#xEFFFF
  );
}

function isNameChar(c: number): boolean {
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46;
  return isNameStart(c) || c === 0xb7 || (c >= 0x300 && c <= 0x36f) || (c >= 0x203f && c <= 0x2040) || (c >= 0xdc00 && c <= 0xdfff);
}

interface RawAttr {
  qname: string;
  colon: number;
  value: string;
  at: number;
}

/** Scans a QName from i: returns its end, and the position of its colon in `colon` (-1 if none). */
class Names {
  colon = -1;
  scan(s: string, i: number): number {
    if (!isNameStart(s.charCodeAt(i))) throw malformed('a name was expected', i);
    const start = i;
    this.colon = -1;
    i++;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === C.COLON) {
        if (this.colon >= 0 || !isNameStart(s.charCodeAt(i + 1))) throw malformed('a qualified name is not prefix:local', i);
        this.colon = i - start;
        i++;
      } else if (isNameChar(c)) i++;
      else return i;
    }
  }
}

/**
 * Namespace bindings in scope: a stack of declarations (undone when their element closes) and,
 * per prefix, the stack of its declarations, so lookups cost the same however many a hostile
 * document makes. A one-entry cache serves most elements, which share their parent's prefix.
 */
class Bindings {
  private prefixes: string[] = ['xml', ''];
  private uris: string[] = [XML_NS, ''];
  private byPrefix = new Map<string, number[]>([
    ['xml', [0]],
    ['', [1]],
  ]);
  top = 2;
  private cachedPrefix: string | undefined;
  private cachedUri = '';

  declare(prefix: string, uri: string, base: number, at: number): void {
    let st = this.byPrefix.get(prefix);
    if (st === undefined) this.byPrefix.set(prefix, (st = []));
    else if (st.length > 0 && st[st.length - 1]! >= base) throw malformed('a duplicate namespace declaration', at);
    st.push(this.top);
    this.prefixes[this.top] = prefix;
    this.uris[this.top] = uri;
    this.top++;
    this.cachedPrefix = undefined;
  }

  /** Back to what was in scope before an element's declarations. */
  restore(top: number): void {
    if (top === this.top) return;
    for (let k = this.top - 1; k >= top; k--) this.byPrefix.get(this.prefixes[k]!)!.pop();
    this.top = top;
    this.cachedPrefix = undefined;
  }

  lookup(prefix: string): string | undefined {
    if (prefix === this.cachedPrefix) return this.cachedUri;
    const st = this.byPrefix.get(prefix);
    if (st === undefined || st.length === 0) return undefined;
    this.cachedPrefix = prefix;
    return (this.cachedUri = this.uris[st[st.length - 1]!]!);
  }

  since(base: number): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (let k = base; k < this.top; k++) out.push([this.prefixes[k]!, this.uris[k]!]);
    return out;
  }
}

function parse(s: string, lim: XmlLimits): XmlElement {
  const n = s.length;
  const names = new Names();
  const ns = new Bindings();
  let i = 0;
  if (s.startsWith('<?xml') && isWs(s.charCodeAt(5))) {
    DECL.lastIndex = 0;
    if (!DECL.test(s)) throw malformed('bad XML declaration', 0);
    i = DECL.lastIndex;
  }

  // Open elements as parallel stacks (no object per level): the element, its raw name and the
  // bindings in scope before it.
  const els: XmlElement[] = [];
  const qnames: string[] = [];
  const nsTop: number[] = [];
  let depth = 0;
  let root: XmlElement | undefined;
  let cur: XmlElement | undefined;
  let count = 0;

  while (i < n) {
    const lt = s.indexOf('<', i);
    if (lt !== i) {
      const end = lt < 0 ? n : lt;
      if (cur) {
        // Indentation beside child elements is dropped before it costs a string: after one, or
        // before the first one (a start tag follows).
        const kids = cur.children;
        const beside = kids.length === 0 ? lt >= 0 && isNameStart(s.charCodeAt(lt + 1)) : typeof kids[kids.length - 1] !== 'string';
        if (!beside || !allWs(s, i, end)) addText(cur, s.slice(i, end), i, true);
      } else if (!allWs(s, i, end)) throw malformed('text outside the document element', i);
      if (lt < 0) break;
      i = lt;
    }
    const c = s.charCodeAt(i + 1);

    if (c === C.SLASH) {
      if (depth === 0) throw malformed('an end tag without a start tag', i);
      depth--;
      const q = qnames[depth]!;
      if (!s.startsWith(q, i + 2)) throw malformed('mismatched end tag', i);
      let j = i + 2 + q.length;
      if (isNameChar(s.charCodeAt(j)) || s.charCodeAt(j) === C.COLON) throw malformed('mismatched end tag', i);
      while (isWs(s.charCodeAt(j))) j++;
      if (s.charCodeAt(j) !== C.GT) throw malformed('bad end tag', i);
      i = j + 1;
      ns.restore(nsTop[depth]!);
      cur = depth > 0 ? els[depth - 1] : undefined;
      continue;
    }

    if (c === C.BANG) {
      if (s.startsWith('<!--', i)) {
        const end = s.indexOf('-->', i + 4);
        if (end < 0) throw malformed('unclosed comment', i);
        if (s.indexOf('--', i + 4) !== end) throw malformed('"--" inside a comment', i);
        checkChars(s.slice(i + 4, end), i);
        i = end + 3;
      } else if (s.startsWith('<![CDATA[', i)) {
        if (!cur) throw malformed('CDATA outside the document element', i);
        const end = s.indexOf(']]>', i + 9);
        if (end < 0) throw malformed('unclosed CDATA section', i);
        addText(cur, s.slice(i + 9, end), i, false);
        i = end + 3;
      } else if (/^<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.test(s.slice(i, i + 10))) {
        throw refuse('dtd', `a DOCTYPE or DTD declaration at offset ${i}: DTDs are never processed`);
      } else {
        throw malformed('unknown markup', i);
      }
      continue;
    }

    if (c === C.QUESTION) {
      const end = names.scan(s, i + 2);
      if (names.colon >= 0 || s.slice(i + 2, end).toLowerCase() === 'xml') throw malformed('bad processing instruction', i);
      const close = s.indexOf('?>', end);
      if (close < 0 || (close !== end && !isWs(s.charCodeAt(end)))) throw malformed('unclosed processing instruction', i);
      checkChars(s.slice(end, close), i);
      i = close + 2;
      continue;
    }

    // A start tag.
    if (cur === undefined && root !== undefined) throw malformed('content after the document element', i);
    let j = names.scan(s, i + 1);
    const qname = s.slice(i + 1, j);
    const colon = names.colon;
    const base = ns.top;
    let raw: RawAttr[] | undefined;
    let selfClosing = false;
    for (;;) {
      const before = j;
      while (isWs(s.charCodeAt(j))) j++;
      const d = s.charCodeAt(j);
      if (d === C.GT) {
        j++;
        break;
      }
      if (d === C.SLASH) {
        if (s.charCodeAt(j + 1) !== C.GT) throw malformed('bad empty-element tag', j);
        selfClosing = true;
        j += 2;
        break;
      }
      if (j === before) throw malformed(j >= n ? 'unclosed start tag' : 'attributes must be separated by whitespace', j);
      const at = j;
      j = names.scan(s, j);
      const aname = s.slice(at, j);
      const acolon = names.colon;
      while (isWs(s.charCodeAt(j))) j++;
      if (s.charCodeAt(j) !== C.EQ) throw malformed('an attribute without a value', at);
      j++;
      while (isWs(s.charCodeAt(j))) j++;
      const quote = s.charCodeAt(j);
      if (quote !== C.DQUOTE && quote !== C.SQUOTE) throw malformed('an unquoted attribute value', j);
      const close = s.indexOf(quote === C.DQUOTE ? '"' : "'", j + 1);
      if (close < 0) throw malformed('unclosed attribute value', j);
      const value = attrValue(s.slice(j + 1, close), j + 1);
      j = close + 1;

      if (aname === 'xmlns' || (acolon === 5 && aname.startsWith('xmlns'))) {
        const prefix = acolon < 0 ? '' : aname.slice(6);
        checkDeclaration(prefix, value, at);
        ns.declare(prefix, value, base, at);
      } else {
        (raw ??= []).push({ qname: aname, colon: acolon, value, at });
      }
    }

    const prefix = colon < 0 ? '' : qname.slice(0, colon);
    const uri = ns.lookup(prefix);
    if (uri === undefined) throw malformed('an undeclared namespace prefix', i);
    const el: XmlElement = { ns: uri, local: colon < 0 ? qname : qname.slice(colon + 1), prefix, attrs: raw ? resolveAttrs(raw, ns) : [], children: [] };
    if (ns.top !== base) Object.defineProperty(el, DECLARATIONS, { value: ns.since(base) });

    // Attributes count too: they cost as much memory as elements, byte for byte.
    count += 1 + (raw ? raw.length : 0);
    if (count > lim.maxElements) throw refuse('elements', `more than ${lim.maxElements} elements and attributes`);
    if (depth >= lim.maxDepth) throw refuse('depth', `nesting deeper than ${lim.maxDepth}`);
    if (cur) {
      const kids = cur.children;
      const last = kids.length === 0 ? undefined : kids[kids.length - 1];
      if (typeof last === 'string' && isBlank(last)) kids[kids.length - 1] = el;
      else kids.push(el);
    } else {
      root = el;
    }
    if (selfClosing) {
      ns.restore(base);
    } else {
      els[depth] = el;
      qnames[depth] = qname;
      nsTop[depth] = base;
      depth++;
      cur = el;
    }
    i = j;
  }

  if (depth > 0) throw malformed('an unclosed element', n);
  if (!root) throw malformed('no document element', n);
  return root;
}

function checkDeclaration(prefix: string, uri: string, at: number): void {
  if (prefix === 'xmlns') throw malformed('the xmlns prefix cannot be declared', at);
  if (prefix === 'xml' ? uri !== XML_NS : uri === XML_NS) throw malformed('the xml prefix and namespace belong together', at);
  if (uri === XMLNS_NS) throw malformed('the xmlns namespace cannot be declared', at);
  if (prefix !== '' && uri === '') throw malformed('a prefix cannot be undeclared in XML 1.0', at);
}

function resolveAttrs(raw: RawAttr[], scope: Bindings): XmlAttr[] {
  const out: XmlAttr[] = new Array(raw.length);
  // Pairwise comparison for the usual handful; a set when a hostile tag carries thousands.
  const seen = raw.length > 16 ? new Set<string>() : undefined;
  for (let k = 0; k < raw.length; k++) {
    const a = raw[k]!;
    let attr: XmlAttr;
    if (a.colon < 0) {
      attr = { ns: '', local: a.qname, prefix: '', value: a.value };
    } else {
      const prefix = a.qname.slice(0, a.colon);
      const ns = scope.lookup(prefix);
      // Unprefixed attributes are in no namespace, so the default namespace never applies here.
      if (ns === undefined || prefix === '') throw malformed('an undeclared namespace prefix', a.at);
      attr = { ns, local: a.qname.slice(a.colon + 1), prefix, value: a.value };
    }
    if (seen) {
      const key = `${attr.ns}\u0000${attr.local}`;
      if (seen.has(key)) throw malformed('a duplicate attribute', a.at);
      seen.add(key);
    } else {
      for (let m = 0; m < k; m++) {
        const o = out[m]!;
        if (o.local === attr.local && o.ns === attr.ns) throw malformed('a duplicate attribute', a.at);
      }
    }
    out[k] = attr;
  }
  return out;
}

/** Characters XML 1.0 does not allow, checked where they could hide: names and the whitespace
 * between markup are checked as they are scanned. */
function checkChars(t: string, at: number): void {
  if (BAD_CHAR.test(t)) throw malformed('a character XML does not allow', at + t.search(BAD_CHAR));
}

function attrValue(v: string, at: number): string {
  if (v.indexOf('<') >= 0) throw malformed('"<" in an attribute value', at);
  checkChars(v, at);
  // Literal tabs and line breaks become spaces (XML 1.0 §3.3.3); character references keep them.
  if (/[\t\n\r]/.test(v)) v = v.replace(/\r\n|[\t\n\r]/g, ' ');
  return v.indexOf('&') >= 0 ? decodeEntities(v, at) : v;
}

function addText(el: XmlElement, t: string, at: number, parsed: boolean): void {
  checkChars(t, at);
  if (parsed && t.indexOf(']]>') >= 0) throw malformed('"]]>" in text', at + t.indexOf(']]>'));
  if (t.indexOf('\r') >= 0) t = t.replace(/\r\n?/g, '\n');
  if (parsed && t.indexOf('&') >= 0) t = decodeEntities(t, at);
  const kids = el.children;
  const len = kids.length;
  if (len === 0) kids.push(t);
  else {
    const last = kids[len - 1];
    if (typeof last === 'string') kids[len - 1] = last + t;
    else if (!isBlank(t)) kids.push(t);
  }
}

function isBlank(t: string): boolean {
  for (let k = 0; k < t.length; k++) if (!isWs(t.charCodeAt(k))) return false;
  return true;
}

function allWs(s: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isWs(s.charCodeAt(k))) return false;
  return true;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(t: string, at: number): string {
  let out = '';
  let from = 0;
  let amp = t.indexOf('&');
  while (amp >= 0) {
    const semi = t.indexOf(';', amp + 1);
    const ref = semi < 0 ? '' : t.slice(amp + 1, semi);
    if (semi < 0 || ref.length === 0 || ref.length > 40) throw malformed('a bare "&"', at + amp);
    let ch: string | undefined;
    if (ref.charCodeAt(0) === 35 /* # */) {
      const hex = ref.charCodeAt(1) === 120; /* x */
      const digits = ref.slice(hex ? 2 : 1);
      if (!(hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits)) throw malformed('a bad character reference', at + amp);
      const cp = parseInt(digits, hex ? 16 : 10);
      if (!isXmlChar(cp)) throw malformed('a character reference to a character XML does not allow', at + amp);
      ch = String.fromCodePoint(cp);
    } else {
      ch = PREDEFINED[ref];
      if (ch === undefined) {
        let ok = isNameStart(ref.charCodeAt(0));
        for (let k = 1; ok && k < ref.length; k++) ok = isNameChar(ref.charCodeAt(k)) || ref.charCodeAt(k) === C.COLON;
        if (!ok) throw malformed('a bare "&"', at + amp);
        throw refuse('entity', `an entity reference other than the five predefined ones at offset ${at + amp}: entities are never expanded`);
      }
    }
    out += t.slice(from, amp) + ch;
    from = semi + 1;
    amp = t.indexOf('&', from);
  }
  return out + t.slice(from);
}

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}
