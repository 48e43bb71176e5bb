/**
 * Documentation carried into the model and the JSON Schemas: xsd:annotation/xsd:documentation
 * and X-Road's xrd:title in xsd:appinfo.
 */
import type { XmlElement } from '../../xml/parse';
import { XML_NS, XSD_NS } from '../model';
import { elems, textContent } from './xml-util';

export interface Annotation {
  documentation?: string;
  title?: string;
}

/** xsd:documentation text and X-Road xrd:title (English, then unmarked, then any). */
export function annotationOf(el: XmlElement): Annotation {
  const out: Annotation = {};
  for (const a of elems(el)) {
    if (a.ns !== XSD_NS || a.local !== 'annotation') continue;
    const docs: string[] = [];
    const titles: Array<{ lang?: string; text: string }> = [];
    for (const c of elems(a)) {
      if (c.ns === XSD_NS && c.local === 'documentation') {
        const t = textContent(c);
        if (t) docs.push(t);
      } else if (c.ns === XSD_NS && c.local === 'appinfo') {
        for (const t of elems(c)) if (t.local === 'title') titles.push({ lang: t.attrs.find((x) => x.ns === XML_NS && x.local === 'lang')?.value, text: textContent(t) });
      }
    }
    if (docs.length) out.documentation = docs.join('\n');
    const title = titles.find((t) => t.lang === 'en') ?? titles.find((t) => !t.lang) ?? titles[0];
    if (title?.text) out.title = title.text;
  }
  return out;
}

