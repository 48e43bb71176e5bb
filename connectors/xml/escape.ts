/**
 * Escaping for XML we write (request envelopes). Text round-trips exactly through parseXml:
 * `\r` is written as a character reference, or the reader's line-end normalisation would turn
 * it into `\n`; in attributes, tabs and line breaks are references too, or attribute-value
 * normalisation would turn them into spaces. Characters XML 1.0 cannot carry at all (C0
 * controls other than tab/LF/CR, U+FFFE, U+FFFF) are refused rather than silently changed.
 */

const TEXT_SPECIAL = /[&<>\r\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const TEXT_ALL = /[&<>\r\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g;
const ATTR_SPECIAL = /[&<>"'\t\n\r\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const ATTR_ALL = /[&<>"'\t\n\r\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g;

const REPLACEMENT: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

function replace(ch: string): string {
  const r = REPLACEMENT[ch];
  // The message names the code point only, never the surrounding text.
  if (r === undefined) throw new RangeError(`U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} cannot be written in XML 1.0`);
  return r;
}

/** For element content. `>` is escaped too, so `]]>` can never appear. */
export function escapeText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_ALL, replace) : s;
}

/** For attribute values in either quote style. */
export function escapeAttr(s: string): string {
  return ATTR_SPECIAL.test(s) ? s.replace(ATTR_ALL, replace) : s;
}
