import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import { renderDocumentPdf, type DocumentPdfInput } from '../../sandbox/simulators/pdf';

const extract: DocumentPdfInput = {
  title: { ar: 'إخراج قيد فردي', en: 'Individual civil-registry extract' },
  issuer: 'Ministry of Interior - Civil Registry',
  reference: 'CR-2026-000123',
  issuedAt: '2026-03-14T09:30:00Z',
  fields: [
    { label: 'National number', value: '01234567890' },
    { label: 'Name', value: 'Rama Haddad' },
    { label: 'Name (Arabic)', value: 'راما حداد' },
    { label: 'Place of registration', value: 'Damascus, Al-Midan, register 12 page 340 entry 7 '.repeat(4) },
  ],
};

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('sandbox PDF documents', () => {
  it('is a small, valid, one-page PDF that pdf-lib reads back with its metadata', async () => {
    const pdf = await renderDocumentPdf(extract);
    assert.ok(Buffer.isBuffer(pdf));
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.match(pdf.subarray(-8).toString('latin1'), /%%EOF\s*$/);
    assert.ok(pdf.length > 1000 && pdf.length < 8 * 1024, `${pdf.length} bytes`);
    const back = await PDFDocument.load(pdf, { updateMetadata: false });
    assert.equal(back.getPageCount(), 1);
    assert.equal(back.getTitle(), 'Individual civil-registry extract / إخراج قيد فردي');
    assert.equal(back.getAuthor(), 'Ministry of Interior - Civil Registry');
    assert.equal(back.getCreationDate()?.toISOString(), '2026-03-14T09:30:00.000Z');
  });

  it('is byte-identical for the same input, so certificates over recordings stay stable', async () => {
    const a = await renderDocumentPdf(extract);
    await new Promise((r) => setTimeout(r, 1100)); // a clock that leaked in would show now
    const b = await renderDocumentPdf({ ...extract, issuedAt: new Date('2026-03-14T09:30:00Z') });
    assert.equal(sha256(a), sha256(b));
    const other = await renderDocumentPdf({ ...extract, reference: 'CR-2026-000124' });
    assert.notEqual(sha256(a), sha256(other));
  });

  it('stays on one page however many fields it is given', async () => {
    const fields = Array.from({ length: 200 }, (_, i) => ({ label: `Field ${i}`, value: `value ${i}` }));
    const back = await PDFDocument.load(await renderDocumentPdf({ ...extract, fields }));
    assert.equal(back.getPageCount(), 1);
  });

  it('refuses a date that is not one', async () => {
    await assert.rejects(renderDocumentPdf({ ...extract, issuedAt: 'yesterday' }), RangeError);
  });
});
