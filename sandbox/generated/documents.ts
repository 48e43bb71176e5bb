/**
 * The documents a generated simulator hands out: where its generated answer has binary content
 * (a `base64Binary` element, a base64 field), a real one-page PDF (../simulators/pdf.ts) rather
 * than a few placeholder bytes, so the connector's document path — streamed into the store,
 * hashed, handed on as a handle — carries what a ministry sends. Only the generator's own
 * placeholder is replaced: content a scenario or a recording gives is left as it is, and so is
 * content whose declared media type is not a PDF.
 *
 * The PDF is made of the request (its values as the document's fields), the answer's reference
 * and its date of issue (the day, not the time): the same request on the same day gives the same
 * bytes, so the hashes a run reports repeat.
 */
import { renderDocumentPdf } from '../simulators/pdf';
import { isObject, placeholderContent, scalarsByName } from './examples';

export interface DocumentAbout {
  /** The provider's names (provider.json): the issuer printed at the top. */
  issuer: string;
  operation: string;
  /** The operation's description in the contract (often the Arabic name of what it issues). */
  titleAr?: string;
}

/** Fields printed on a page: enough to read as a real document, never a page overflowing. */
const MAX_FIELDS = 14;

/** `value` with every placeholder content replaced by a PDF, base64-encoded (a copy; `value` is left as it is). */
export async function withDocuments(value: unknown, input: unknown, about: DocumentAbout): Promise<unknown> {
  const places = placesOf(value);
  if (!places.length) return value;
  const copy = structuredClone(value) as Record<string, unknown>;
  const pdf = await renderDocumentPdf({
    title: { en: words(about.operation), ar: about.titleAr ?? words(about.operation) },
    issuer: about.issuer,
    reference: referenceOf(value) ?? 'SIM-000001',
    issuedAt: dayOf(value),
    fields: [...scalarsByName(input)].slice(0, MAX_FIELDS).map(([label, v]) => ({ label: words(label), value: String(v) })),
  });
  for (const path of places) {
    let cur: Record<string, unknown> = copy;
    for (const k of path.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
    cur[path.at(-1)!] = pdf.toString('base64');
  }
  return copy;
}

/** Where the generator put placeholder content, as member paths (arrays by index). */
function placesOf(value: unknown, path: string[] = [], out: string[][] = [], depth = 0): string[][] {
  if (depth > 16 || typeof value !== 'object' || value === null) return out;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  const declared = isObject(value) && typeof value.mediaType === 'string' ? value.mediaType : undefined;
  for (const [k, v] of entries) {
    if (typeof v === 'string' && v === placeholderContent(k) && (declared === undefined || declared === 'application/pdf')) out.push([...path, k]);
    else placesOf(v, [...path, k], out, depth + 1);
  }
  return out;
}

/** The answer's own reference of what it issues: its first member named like one. */
function referenceOf(value: unknown): string | undefined {
  for (const [k, v] of scalarsByName(value)) if (/reference$|number$/i.test(k) && typeof v === 'string' && !/content/i.test(k)) return v;
  return undefined;
}

/** The answer's date of issue, as its day (UTC midnight); today when it says none. */
function dayOf(value: unknown): Date {
  const at = scalarsByName(value).get('issuedAt');
  const d = typeof at === 'string' && !Number.isNaN(Date.parse(at)) ? new Date(at) : new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** `IssueIndividualExtract` → `Issue individual extract`; `nationalNumber` → `National number`. */
function words(name: string): string {
  const w = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return w.charAt(0).toUpperCase() + w.slice(1);
}
