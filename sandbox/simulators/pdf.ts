/**
 * The documents the simulators hand out (an extract, a certificate, a statement) as small,
 * real, one-page PDFs: a reader opens them, a store hashes them, a scenario checks their type.
 *
 * Rendered with pdf-lib (pure JavaScript, no install script, no network) and the standard
 * Helvetica fonts, which need no embedding and keep a document at a few KB. Those fonts carry
 * Latin text only (WinAnsi): Arabic needs an embedded font and shaping, which would multiply
 * the size and bring a font package in. So the page is written in English, any character
 * Helvetica cannot draw shows as `?`, and the Arabic title and the issuer travel intact in the
 * document's metadata (Unicode there), where a reader's "properties" show them.
 *
 * The output depends on the input alone — no clock, no random id — so a recorded exchange, and
 * the certificate signed over it, stay the same from one run to the next.
 */
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';

export interface DocumentPdfInput {
  title: { ar: string; en: string };
  /** Who issued it, as printed ("Ministry of Interior — Civil Registry"). */
  issuer: string;
  /** The provider's reference of the document. */
  reference: string;
  /** When it was issued: an ISO 8601 date or date-time, or a Date. Printed as its UTC date. */
  issuedAt: string | Date;
  /** What the document states, in order. */
  fields: Array<{ label: string; value: string }>;
}

const PAGE = { width: 595.28, height: 841.89 }; // A4, in points
const MARGIN = 56;
const INK = rgb(0.1, 0.1, 0.12);
const MUTED = rgb(0.38, 0.38, 0.42);
const RULE = rgb(0.72, 0.72, 0.76);
const FOOTER_TEXT = 'Issued by a wasl sandbox simulator for testing. Not a government document.';

export async function renderDocumentPdf(input: DocumentPdfInput): Promise<Buffer> {
  const issued = utcDate(input.issuedAt);
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(`${input.title.en} / ${input.title.ar}`);
  doc.setAuthor(input.issuer);
  doc.setSubject(`Reference ${input.reference}`);
  doc.setCreator('wasl sandbox');
  doc.setProducer('pdf-lib');
  doc.setCreationDate(issued);
  doc.setModificationDate(issued);
  doc.setLanguage('en');

  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const page = doc.addPage([PAGE.width, PAGE.height]);
  const pen = new Pen(page, regular, bold);

  pen.line(input.issuer, { size: 11, font: 'bold', color: MUTED });
  pen.gap(18);
  pen.line(input.title.en, { size: 20, font: 'bold' });
  pen.gap(10);
  pen.line(`Reference: ${input.reference}`, { size: 10 });
  pen.line(`Date of issue: ${issued.toISOString().slice(0, 10)}`, { size: 10 });
  pen.gap(8);
  pen.rule();
  pen.gap(14);
  for (const f of input.fields) if (!pen.field(f.label, f.value)) break;

  page.drawText(pen.fit(FOOTER_TEXT, 8, 'regular'), { x: MARGIN, y: MARGIN - 20, size: 8, font: regular, color: MUTED });
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

/** Writes top-down, keeping each line inside the page and every character one Helvetica has. */
class Pen {
  private y = PAGE.height - MARGIN;
  private readonly drawable: Set<number>;
  private readonly width = PAGE.width - 2 * MARGIN;

  constructor(
    private readonly page: PDFPage,
    private readonly regular: PDFFont,
    private readonly bold: PDFFont,
  ) {
    this.drawable = new Set(regular.getCharacterSet());
  }

  line(text: string, o: { size: number; font?: 'regular' | 'bold'; color?: ReturnType<typeof rgb>; x?: number }): void {
    const font = o.font ?? 'regular';
    this.y -= o.size * 1.25;
    this.page.drawText(this.fit(text, o.size, font), { x: o.x ?? MARGIN, y: this.y, size: o.size, font: this.font(font), color: o.color ?? INK });
  }

  gap(points: number): void {
    this.y -= points;
  }

  rule(): void {
    this.page.drawLine({ start: { x: MARGIN, y: this.y }, end: { x: PAGE.width - MARGIN, y: this.y }, thickness: 0.75, color: RULE });
  }

  /** A label and its value, the value wrapped beside it; false once the page is full. */
  field(label: string, value: string): boolean {
    const size = 10;
    const labelWidth = 170;
    const lines = this.wrap(this.clean(value), size, this.width - labelWidth);
    if (this.y - (lines.length + 1) * size * 1.4 < MARGIN) {
      this.line('…', { size });
      return false;
    }
    this.y -= size * 1.4;
    this.page.drawText(this.fit(label, size, 'bold', labelWidth - 10), { x: MARGIN, y: this.y, size, font: this.bold, color: MUTED });
    lines.forEach((l, i) => {
      if (i > 0) this.y -= size * 1.3;
      this.page.drawText(l, { x: MARGIN + labelWidth, y: this.y, size, font: this.regular, color: INK });
    });
    this.y -= 4;
    return true;
  }

  /** One line no wider than `max`, cut with an ellipsis. */
  fit(text: string, size: number, font: 'regular' | 'bold', max = this.width): string {
    const f = this.font(font);
    let t = this.clean(text);
    if (f.widthOfTextAtSize(t, size) <= max) return t;
    while (t.length > 0 && f.widthOfTextAtSize(`${t}…`, size) > max) t = t.slice(0, -1);
    return `${t}…`;
  }

  private wrap(text: string, size: number, max: number): string[] {
    const lines: string[] = [];
    let current = '';
    for (const word of text.split(' ')) {
      const next = current ? `${current} ${word}` : word;
      if (current && this.regular.widthOfTextAtSize(next, size) > max) {
        lines.push(current);
        current = this.fit(word, size, 'regular', max);
      } else current = this.regular.widthOfTextAtSize(next, size) > max ? this.fit(next, size, 'regular', max) : next;
    }
    return lines.length || current ? [...lines, current] : [''];
  }

  /** Whitespace folded to spaces (drawText would break lines itself), and what Helvetica lacks as `?`. */
  private clean(text: string): string {
    let out = '';
    for (const ch of text.normalize('NFC').replace(/\s+/g, ' ').trim()) out += this.drawable.has(ch.codePointAt(0)!) ? ch : '?';
    return out;
  }

  private font(which: 'regular' | 'bold'): PDFFont {
    return which === 'bold' ? this.bold : this.regular;
  }
}

function utcDate(v: string | Date): Date {
  const d = v instanceof Date ? new Date(v.getTime()) : new Date(v);
  if (Number.isNaN(d.getTime())) throw new RangeError('issuedAt is not a date');
  return d;
}
