/**
 * Documents in REST answers, at the HTTP level with nock: a binary body streamed into the sink,
 * base64 fields decoded into it, each replaced by a DocumentHandle that the output schema
 * describes; and every refusal — over the size limit, no sink, a body or field that is not what
 * the contract says — typed, with nothing stored.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import nock from 'nock';
import { ContractViolation, ProviderFault, UnsafeResponse } from '../../../connectors/errors';
import { RestConnector } from '../../../connectors/rest/connector';
import { documentOperations, fakePdf, MemorySink, sha256 } from './document-fixtures';
import { origin, provider, type Operations } from './helpers';

describe('REST connector: documents (nock)', () => {
  let operations: Operations;
  before(async () => {
    operations = await documentOperations();
    nock.disableNetConnect();
  });
  afterEach(() => nock.cleanAll());
  after(() => nock.enableNetConnect());

  function connector(sink?: MemorySink, maxBytes?: number) {
    const definition = provider(maxBytes ? { documents: { maxBytes } } : {});
    return { def: definition, rest: new RestConnector({ definition, operations, ...(sink ? { documents: sink } : {}) }) };
  }

  const isUnsafe = (limit: string) => (err: unknown) => err instanceof UnsafeResponse && err.limit === limit;

  describe('a binary response', () => {
    it('streams a 1 MB PDF into the sink byte-exact and hands on its handle, which the output schema describes', async () => {
      const sink = new MemorySink();
      const { def, rest } = connector(sink);
      const pdf = fakePdf(1024 * 1024);
      nock(origin(def)).get('/v1/extracts/EX-1/pdf').reply(200, pdf, { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="../../extract EX-1.pdf"' });
      const { output } = await rest.call('GetExtractPdf', { path: { reference: 'EX-1' } }, { orderId: 'ord-1' });
      assert.deepEqual(output, { id: 'doc-1', mediaType: 'application/pdf', size: pdf.length, sha256: sha256(pdf), filename: 'extract EX-1.pdf' });
      const stored = sink.stored.get('doc-1')!;
      assert.ok(stored.content.equals(pdf));
      assert.deepEqual(stored.origin, { orderId: 'ord-1', provider: def.code, operation: 'GetExtractPdf', source: 'body' });
      assert.equal(stored.maxBytes, 10 * 1024 * 1024);
      const schema = rest.operations().find((o) => o.name === 'GetExtractPdf')!.outputSchema as Record<string, unknown>;
      assert.equal(schema.type, 'object');
      assert.deepEqual(schema.required, ['id', 'mediaType', 'size', 'sha256']);
      assert.equal(schema.title, 'GetExtractPdfOutput');
    });

    it('keeps application/octet-stream as the contract\'s type, and reads an RFC 6266 UTF-8 file name', async () => {
      const sink = new MemorySink();
      const { def, rest } = connector(sink);
      nock(origin(def)).get('/v1/extracts/EX-2/pdf').reply(200, fakePdf(4096), { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent('إخراج قيد.pdf')}` });
      const { output } = await rest.call<{ mediaType: string; filename: string }>('GetExtractPdf', { path: { reference: 'EX-2' } });
      assert.equal(output.mediaType, 'application/pdf');
      assert.equal(output.filename, 'إخراج قيد.pdf');
    });

    it('carries a text/* answer the contract declares format: binary as a document too', async () => {
      const sink = new MemorySink();
      const { def, rest } = connector(sink);
      const csv = Buffer.from('plate,owner\n123456,ريم\n', 'utf8');
      nock(origin(def)).get('/v1/registers/R-1/csv').reply(200, csv, { 'content-type': 'text/csv; charset=utf-8' });
      const { output } = await rest.call('GetRegisterCsv', { path: { reference: 'R-1' } });
      assert.deepEqual(output, { id: 'doc-1', mediaType: 'text/csv', size: csv.length, sha256: sha256(csv) });
      assert.ok(sink.stored.get('doc-1')!.content.equals(csv));
      nock(origin(def)).get('/v1/registers/R-2/csv').reply(200, '<p>no</p>', { 'content-type': 'text/html' });
      await assert.rejects(rest.call('GetRegisterCsv', { path: { reference: 'R-2' } }), (err: unknown) => err instanceof ContractViolation && err.violations[0]!.message === 'is text/html, not text/csv');
    });

    it('refuses an HTML page or another binary type where a PDF is expected, and stores nothing', async () => {
      const sink = new MemorySink();
      const { def, rest } = connector(sink);
      nock(origin(def)).get('/v1/extracts/EX-3/pdf').reply(200, '<html>maintenance</html>', { 'content-type': 'text/html' });
      await assert.rejects(rest.call('GetExtractPdf', { path: { reference: 'EX-3' } }), (err: unknown) => err instanceof ContractViolation && err.direction === 'response' && err.violations[0]!.message === 'is text/html, not application/pdf');
      nock(origin(def)).get('/v1/extracts/EX-4/pdf').reply(200, Buffer.alloc(64), { 'content-type': 'image/png' });
      await assert.rejects(rest.call('GetExtractPdf', { path: { reference: 'EX-4' } }), (err: unknown) => err instanceof ContractViolation && err.violations[0]!.message === 'is image/png, not application/pdf');
      nock(origin(def)).get('/v1/extracts/EX-5/pdf').reply(200, { code: 'OK' }, { 'content-type': 'application/json' });
      await assert.rejects(rest.call('GetExtractPdf', { path: { reference: 'EX-5' } }), ContractViolation);
      assert.equal(sink.puts, 0);
    });

    it('refuses a document over documents.maxBytes: declared, before reading; streamed, having passed on at most the limit', async () => {
      const sink = new MemorySink();
      const { def, rest } = connector(sink, 64 * 1024);
      nock(origin(def)).get('/v1/extracts/EX-6/pdf').reply(200, fakePdf(64 * 1024 + 1), { 'content-type': 'application/pdf', 'content-length': String(64 * 1024 + 1) });
      await assert.rejects(rest.call('GetExtractPdf', { path: { reference: 'EX-6' } }), isUnsafe('document-size'));
      assert.equal(sink.puts, 0);
      nock(origin(def))
        .get('/v1/extracts/EX-7/pdf')
        .reply(200, () => Readable.from((function* () {
          for (let i = 0; i < 40; i++) yield Buffer.alloc(4096, i);
        })()), { 'content-type': 'application/pdf' });
      await assert.rejects(rest.call('GetExtractPdf', { path: { reference: 'EX-7' } }), isUnsafe('document-size'));
      assert.equal(sink.puts, 1);
      assert.ok(sink.mostHeld <= 64 * 1024, `${sink.mostHeld}`);
      assert.equal(sink.stored.size, 0);
    });

    it('without a sink refuses it as an attachment', async () => {
      const { def, rest } = connector();
      nock(origin(def)).get('/v1/extracts/EX-8/pdf').reply(200, fakePdf(2048), { 'content-type': 'application/pdf' });
      await assert.rejects(rest.call('GetExtractPdf', { path: { reference: 'EX-8' } }), isUnsafe('attachment'));
    });

    it('reads an error answer as any other: the provider fault with its code', async () => {
      const sink = new MemorySink();
      const { def, rest } = connector(sink);
      nock(origin(def)).get('/v1/extracts/EX-9/pdf').reply(404, { code: 'EXTRACT_NOT_FOUND' }, { 'content-type': 'application/json' });
      await assert.rejects(rest.call('GetExtractPdf', { path: { reference: 'EX-9' } }), (err: unknown) => err instanceof ProviderFault && err.status === 404 && err.faultCode === 'EXTRACT_NOT_FOUND');
      assert.equal(sink.puts, 0);
    });
  });

  describe('a base64 field', () => {
    it('is decoded into the sink and replaced by its handle, with the media type and file name beside it', async () => {
      const sink = new MemorySink();
      const { def, rest } = connector(sink);
      const pdf = fakePdf(200 * 1024, 7);
      const annex = Buffer.from('annex', 'utf8');
      nock(origin(def))
        .get('/v1/statements/ST-1')
        .reply(200, { reference: 'ST-1', document: { mediaType: 'application/pdf; version=1.7', fileName: 'st-1.pdf', content: pdf.toString('base64').replace(/(.{76})/g, '$1\r\n') }, annexes: [{ mediaType: 'text/plain', content: annex.toString('base64') }, { mediaType: 'text/plain', content: null }] }, { 'content-type': 'application/json' });
      const { output } = await rest.call<Record<string, any>>('GetStatement', { path: { reference: 'ST-1' } }, { orderId: 'ord-2' });
      assert.equal(output.reference, 'ST-1');
      assert.deepEqual(output.document.content, { id: 'doc-1', mediaType: 'application/pdf', size: pdf.length, sha256: sha256(pdf), filename: 'st-1.pdf' });
      assert.equal(output.document.mediaType, 'application/pdf; version=1.7');
      assert.deepEqual(output.annexes[0].content, { id: 'doc-2', mediaType: 'text/plain', size: 5, sha256: sha256(annex) });
      assert.equal(output.annexes[1].content, null);
      assert.ok(sink.stored.get('doc-1')!.content.equals(pdf));
      assert.equal(sink.stored.get('doc-1')!.origin.source, '/document/content');
      assert.equal(sink.stored.get('doc-2')!.origin.source, '/annexes/0/content');
      const schema = JSON.stringify(rest.operations().find((o) => o.name === 'GetStatement')!.outputSchema);
      assert.match(schema, /"sha256":\{"type":"string","pattern":"\^\[0-9a-f\]\{64\}\$"\}/);
      assert.doesNotMatch(schema, /"format":"byte"/);
    });

    it('refuses text that is not base64 as a contract violation, naming where, and stores nothing', async () => {
      const sink = new MemorySink();
      const { def, rest } = connector(sink);
      nock(origin(def)).get('/v1/statements/ST-2').reply(200, { reference: 'ST-2', document: { mediaType: 'application/pdf', content: 'not base64 at all!' } }, { 'content-type': 'application/json' });
      await assert.rejects(rest.call('GetStatement', { path: { reference: 'ST-2' } }), (err: unknown) => err instanceof ContractViolation && err.violations.some((v) => v.pointer === '/document/content'));
      assert.equal(sink.puts, 0);
    });

    it('refuses one over documents.maxBytes before decoding it, and refuses it without a sink', async () => {
      const sink = new MemorySink();
      const { def, rest } = connector(sink, 4096);
      nock(origin(def)).get('/v1/statements/ST-3').reply(200, { reference: 'ST-3', document: { mediaType: 'application/pdf', content: fakePdf(4097).toString('base64') } }, { 'content-type': 'application/json' });
      await assert.rejects(rest.call('GetStatement', { path: { reference: 'ST-3' } }), isUnsafe('document-size'));
      assert.equal(sink.puts, 0);
      const bare = connector();
      nock(origin(bare.def)).get('/v1/statements/ST-4').reply(200, { reference: 'ST-4', document: { mediaType: 'application/pdf', content: 'JVBERi0=' } }, { 'content-type': 'application/json' });
      await assert.rejects(bare.rest.call('GetStatement', { path: { reference: 'ST-4' } }), isUnsafe('attachment'));
    });

    it('leaves an answer without documents as it is, sink or not', async () => {
      const { def, rest } = connector();
      nock(origin(def)).get('/v1/statements/ST-5').reply(200, { reference: 'ST-5', document: { mediaType: 'application/pdf', content: null } }, { 'content-type': 'application/json' });
      const { output } = await rest.call('GetStatement', { path: { reference: 'ST-5' } });
      assert.deepEqual(output, { reference: 'ST-5', document: { mediaType: 'application/pdf', content: null } });
    });
  });
});
