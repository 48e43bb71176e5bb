/**
 * The document store's contract, run against each back end (sqlite.test.ts, postgres.test.ts):
 * content round-trips byte-exact and is kept only as ciphertext; a document over the limit leaves
 * nothing and was never held whole; every way of altering the stored chunks (a byte, a swap
 * between documents, a dropped last chunk, a reorder, a metadata row's hash, another key) is an
 * error, never other content; retention deletes the content and keeps the hash; codes and links
 * answer only what they should. Each back end gives a harness with raw access to its tables, to
 * play the one who can write the database but does not hold the key.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { UnsafeResponse } from '../../../../connectors/errors';
import { CHUNK_SIZE } from '../../../../hub/documents/chunks';
import { DocumentError, LinkError } from '../../../../hub/documents/errors';
import { DocumentKeys } from '../../../../hub/documents/keys';
import type { DocumentPutMeta, DocumentStore, DocumentStoreOptions } from '../../../../hub/documents/store';

export interface ChunkRow {
  idx: number;
  iv: Buffer;
  tag: Buffer;
  ct: Buffer;
}

/** Raw access to one database's document tables, as its back end spells SQL. */
export interface Raw {
  chunks(id: string): Promise<ChunkRow[]>;
  setChunk(id: string, idx: number, c: Omit<ChunkRow, 'idx'>): Promise<void>;
  deleteChunk(id: string, idx: number): Promise<void>;
  setDocument(id: string, column: 'sha256' | 'size' | 'chunks' | 'key_id', value: string | number): Promise<void>;
  count(table: 'documents' | 'document_chunks' | 'document_codes'): Promise<number>;
  /** Bytes of ciphertext stored, all documents: what of the plaintext has left the put's hands. */
  storedBytes(): Promise<number>;
  codeHashes(): Promise<string[]>;
}

/** One fresh database: stores opened on it (several, with different keys if need be) and raw access. */
export interface Harness {
  open(opts: Partial<DocumentStoreOptions>): Promise<DocumentStore>;
  raw: Raw;
  close(): Promise<void>;
}

const ORIGIN = { orderId: 'ord_01J0000000000000000000DOC', provider: 'moi-civil', operation: 'issueExtract', source: 'cid:extract@moi' };
const meta = (over: Partial<DocumentPutMeta> = {}): DocumentPutMeta => ({ mediaType: 'application/pdf', filename: 'extract.pdf', origin: ORIGIN, maxBytes: 10 * 1024 * 1024, ...over });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Bytes that look like a PDF and are unique to one test (a marker to look for in the ciphertext). */
function pdf(size: number): Buffer {
  const b = randomBytes(size);
  const head = Buffer.from('%PDF-1.7\n% wasl test document: CITIZEN-NAME-IN-CLEAR\n');
  head.copy(b, 0, 0, Math.min(head.length, size));
  return b;
}

/** `data` as a stream of `piece`-byte reads, the way an HTTP response arrives. */
function streamOf(data: Buffer, piece = 64 * 1024): Readable {
  async function* gen() {
    for (let off = 0; off < data.length; off += piece) yield data.subarray(off, off + piece);
  }
  return Readable.from(gen(), { objectMode: false });
}

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of r) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DocumentError || err instanceof LinkError, `expected a typed error, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

/** open() and read to the end: an error from either is the document's. */
const openAndRead = async (store: DocumentStore, id: string) => readAll(await store.open(id));

export function documentStoreContract(newHarness: () => Promise<Harness>): void {
  let h: Harness;
  let store: DocumentStore;
  const keys = DocumentKeys.from({ secret: 'a-secret-of-at-least-32-characters-for-document-tests' });
  beforeEach(async () => {
    h = await newHarness();
    store = await h.open({ keys });
  });
  afterEach(async () => h.close());

  describe('put and open', () => {
    it('carries 1 MB byte-exact, with its SHA-256, and keeps only ciphertext', async () => {
      const data = pdf(1024 * 1024);
      const handle = await store.put(streamOf(data), meta({ mediaType: 'Application/PDF; name="x.pdf"' }));
      assert.match(handle.id, /^doc_[A-Za-z0-9_-]{24}$/);
      assert.deepEqual({ ...handle, id: '' }, { id: '', mediaType: 'application/pdf', size: data.length, sha256: sha(data), filename: 'extract.pdf' });
      const back = await openAndRead(store, handle.id);
      assert.equal(back.length, data.length);
      assert.ok(back.equals(data));
      const chunks = await h.raw.chunks(handle.id);
      assert.equal(chunks.length, 4);
      // Each chunk's IV is its own, and the plaintext is nowhere in the table.
      assert.equal(new Set(chunks.map((c) => c.iv.toString('hex'))).size, 4);
      assert.equal(Buffer.concat(chunks.map((c) => c.ct)).indexOf('CITIZEN-NAME-IN-CLEAR'), -1);
      assert.equal(Buffer.concat(chunks.map((c) => c.ct)).indexOf(data.subarray(300_000, 300_032)), -1);
      const info = await store.info(handle.id);
      assert.equal(info?.sha256, sha(data));
      assert.equal(info?.orderId, ORIGIN.orderId);
      assert.deepEqual(info?.origin, ORIGIN);
      assert.equal(info?.purgedAt, undefined);
    });

    it('takes a Buffer, an empty document, and sizes on and around the chunk boundary', async () => {
      for (const size of [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE]) {
        const data = pdf(size);
        const viaBuffer = await store.put(data, meta());
        const viaStream = await store.put(streamOf(data, 10_000), meta());
        for (const h2 of [viaBuffer, viaStream]) {
          assert.equal(h2.size, size);
          assert.equal(h2.sha256, sha(data));
          assert.ok((await openAndRead(store, h2.id)).equals(data), `size ${size}`);
        }
        assert.equal((await h.raw.chunks(viaBuffer.id)).length, Math.max(1, Math.ceil(size / CHUNK_SIZE)));
      }
    });

    it('answers an unknown id with document-not-found, and info with undefined', async () => {
      await rejectsWith(store.open(`doc_${'A'.repeat(24)}`), 'document-not-found');
      await rejectsWith(store.open("'; DROP TABLE documents; --"), 'document-not-found');
      assert.equal(await store.info(`doc_${'A'.repeat(24)}`), undefined);
    });
  });

  describe('the size limit', () => {
    it('refuses a document over maxBytes with document-size, having held at most one chunk, and leaves nothing', async () => {
      const PIECE = 64 * 1024;
      const maxBytes = 1024 * 1024;
      let pulled = 0;
      let held = 0;
      let destroyed = false;
      const raw = h.raw;
      async function* provider() {
        // Three megabytes on offer; each piece is counted as it leaves, against what is stored.
        for (let i = 0; i < (3 * 1024 * 1024) / PIECE; i++) {
          held = Math.max(held, pulled - (await raw.storedBytes()));
          pulled += PIECE;
          yield randomBytes(PIECE);
        }
      }
      const source = Readable.from(provider(), { objectMode: false, highWaterMark: PIECE });
      source.on('close', () => (destroyed = true));
      await assert.rejects(store.put(source, meta({ maxBytes })), (err: unknown) => {
        assert.ok(err instanceof UnsafeResponse);
        assert.equal(err.limit, 'document-size');
        return true;
      });
      assert.ok(pulled <= maxBytes + CHUNK_SIZE, `read ${pulled} bytes of a document limited to ${maxBytes}`);
      assert.ok(held <= CHUNK_SIZE + 2 * PIECE, `held ${held} bytes not yet stored`);
      assert.ok(held >= CHUNK_SIZE, `measured ${held}: the measure itself is off`);
      assert.ok(destroyed, 'the source is destroyed, not left open');
      assert.equal(await h.raw.count('documents'), 0);
      assert.equal(await h.raw.count('document_chunks'), 0);
    });

    it('refuses a Buffer over the limit before storing anything, and takes one at the limit', async () => {
      await assert.rejects(store.put(Buffer.alloc(1001), meta({ maxBytes: 1000 })), /document-size/);
      assert.equal(await h.raw.count('documents'), 0);
      assert.equal((await store.put(Buffer.alloc(1000), meta({ maxBytes: 1000 }))).size, 1000);
    });

    it('leaves nothing when the source fails mid-way', async () => {
      async function* broken() {
        yield randomBytes(CHUNK_SIZE);
        yield randomBytes(CHUNK_SIZE);
        throw new Error('connection reset by the ministry');
      }
      await assert.rejects(store.put(Readable.from(broken(), { objectMode: false }), meta()), /connection reset/);
      assert.equal(await h.raw.count('documents'), 0);
      assert.equal(await h.raw.count('document_chunks'), 0);
    });
  });

  describe('tampering: an error, never other content', () => {
    const threeChunks = () => store.put(pdf(2 * CHUNK_SIZE + 1000), meta());

    it('a changed byte in a chunk', async () => {
      const a = await threeChunks();
      const [, second] = await h.raw.chunks(a.id);
      const ct = Buffer.from(second!.ct);
      ct[100] = ct[100]! ^ 1;
      await h.raw.setChunk(a.id, 1, { ...second!, ct });
      // The first chunk is intact: open() answers, the stream fails at the second.
      const r = await store.open(a.id);
      await rejectsWith(readAll(r), 'document-corrupt');
    });

    it('a changed byte in the first chunk fails open() itself; so do a changed tag and IV', async () => {
      for (const field of ['ct', 'tag', 'iv'] as const) {
        const a = await threeChunks();
        const [first] = await h.raw.chunks(a.id);
        const bytes = Buffer.from(first![field]);
        bytes[0] = bytes[0]! ^ 0x80;
        await h.raw.setChunk(a.id, 0, { ...first!, [field]: bytes });
        await rejectsWith(store.open(a.id), 'document-corrupt');
      }
    });

    it('a chunk swapped in from another document', async () => {
      const a = await threeChunks();
      const b = await threeChunks();
      const [bFirst] = await h.raw.chunks(b.id);
      await h.raw.setChunk(a.id, 0, bFirst!);
      await rejectsWith(store.open(a.id), 'document-corrupt');
    });

    it('two chunks of one document reordered', async () => {
      const a = await threeChunks();
      const [c0, c1] = await h.raw.chunks(a.id);
      await h.raw.setChunk(a.id, 0, c1!);
      await h.raw.setChunk(a.id, 1, c0!);
      await rejectsWith(store.open(a.id), 'document-corrupt');
    });

    it('the last chunk deleted (truncated), with or without the metadata row told', async () => {
      const a = await threeChunks();
      await h.raw.deleteChunk(a.id, 2);
      await rejectsWith(openAndRead(store, a.id), 'document-corrupt');
      // The row made to agree with the truncation: the new last chunk was not sealed as last.
      await h.raw.setDocument(a.id, 'chunks', 2);
      await rejectsWith(openAndRead(store, a.id), 'document-corrupt');
      // A one-chunk remainder: the error comes from open() itself.
      await h.raw.deleteChunk(a.id, 1);
      await h.raw.setDocument(a.id, 'chunks', 1);
      await rejectsWith(store.open(a.id), 'document-corrupt');
    });

    it("the metadata row's hash or size changed", async () => {
      const a = await threeChunks();
      await h.raw.setDocument(a.id, 'sha256', sha(Buffer.from('another document')));
      await rejectsWith(openAndRead(store, a.id), 'document-corrupt');
      const b = await store.put(pdf(5000), meta());
      await h.raw.setDocument(b.id, 'size', 4999);
      await rejectsWith(store.open(b.id), 'document-corrupt');
    });

    it('another key: document-key; and with its key id forged, the tag still fails', async () => {
      const a = await store.put(pdf(5000), meta());
      const other = await h.open({ keys: DocumentKeys.from({ secret: 'another-secret-of-at-least-32-characters' }) });
      await rejectsWith(other.open(a.id), 'document-key');
      await h.raw.setDocument(a.id, 'key_id', DocumentKeys.from({ secret: 'another-secret-of-at-least-32-characters' }).keyId);
      await rejectsWith(other.open(a.id), 'document-corrupt');
    });
  });

  describe('retention', () => {
    const T0 = new Date('2026-03-01T08:00:00.000Z');
    const days = (n: number) => new Date(T0.getTime() + n * 86_400_000);

    it('purges the content past retention, keeps metadata and hash; open then says document-purged', async () => {
      const clocked = await h.open({ keys, clock: () => T0 });
      const data = pdf(CHUNK_SIZE + 10);
      const due = await clocked.put(data, meta({ retentionDays: 30 }));
      const dated = await clocked.put(pdf(100), meta({ expiresAt: days(60) }));
      const kept = await clocked.put(pdf(100), meta());
      assert.equal((await clocked.info(due.id))?.expiresAt, days(30).toISOString());
      assert.equal((await clocked.info(kept.id))?.expiresAt, undefined);

      assert.deepEqual(await clocked.purgeExpired(days(29)), { purged: 0, abandoned: 0 });
      assert.deepEqual(await clocked.purgeExpired(days(30)), { purged: 1, abandoned: 0 });
      const info = await clocked.info(due.id);
      assert.equal(info?.purgedAt, days(30).toISOString());
      assert.equal(info?.sha256, sha(data));
      assert.equal(info?.size, data.length);
      assert.equal(info?.mediaType, 'application/pdf');
      assert.deepEqual(await h.raw.chunks(due.id), []);
      await rejectsWith(clocked.open(due.id), 'document-purged');
      assert.ok((await openAndRead(clocked, dated.id)).length === 100);

      assert.deepEqual(await clocked.purgeExpired(days(61)), { purged: 1, abandoned: 0 });
      assert.deepEqual(await clocked.purgeExpired(days(10_000)), { purged: 0, abandoned: 0 });
      assert.equal((await openAndRead(clocked, kept.id)).length, 100);
      assert.equal(await h.raw.count('documents'), 3);
      assert.equal(await h.raw.count('document_chunks'), 1);
    });

    it('answers info for a document it just stored from memory, as the rows have it, and never past its expiry', async () => {
      let now = T0;
      const clocked = await h.open({ keys, clock: () => now });
      const fresh = await h.open({ keys, clock: () => now });
      const doc = await clocked.put(pdf(300), meta({ retentionDays: 1, filename: 'a/b/extract.pdf' }));
      const kept = await clocked.put(pdf(300), meta({ origin: { provider: ORIGIN.provider, operation: ORIGIN.operation, source: ORIGIN.source } }));
      // What this process remembers is what another reads from the rows.
      assert.deepEqual(await clocked.info(doc.id), await fresh.info(doc.id));
      assert.deepEqual(await clocked.info(kept.id), await fresh.info(kept.id));
      // Purged by another process once expired: this one reads the rows again, past the expiry.
      now = days(2);
      assert.deepEqual(await fresh.purgeExpired(now), { purged: 1, abandoned: 0 });
      assert.equal((await clocked.info(doc.id))?.purgedAt, days(2).toISOString());
    });

    it("a sink given a service's retention stores with it; a store's default applies otherwise", async () => {
      const clocked = await h.open({ keys, clock: () => T0, defaultRetentionDays: 7 });
      const viaSink = await clocked.withRetention({ retentionDays: 90 }).put(pdf(10), meta());
      const viaDefault = await clocked.put(pdf(10), meta());
      assert.equal((await clocked.info(viaSink.id))?.expiresAt, days(90).toISOString());
      assert.equal((await clocked.info(viaDefault.id))?.expiresAt, days(7).toISOString());
      await assert.rejects(clocked.put(pdf(10), meta({ retentionDays: 1, expiresAt: days(1) })), TypeError);
      await assert.rejects(clocked.put(pdf(10), meta({ retentionDays: -1 })), RangeError);
    });

    it('sweeps an upload abandoned mid-way; the upload, were it alive, then fails rather than completing', async () => {
      const clocked = await h.open({ keys, clock: () => T0 });
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let firstStored!: () => void;
      const stored = new Promise<void>((r) => (firstStored = r));
      const raw = h.raw;
      async function* stalled() {
        yield randomBytes(CHUNK_SIZE);
        yield randomBytes(10);
        // The first chunk is written once the second piece has arrived; wait for it, then stall.
        while ((await raw.count('document_chunks')) === 0) await new Promise((r) => setTimeout(r, 5));
        firstStored();
        await gate;
        yield randomBytes(10);
      }
      const put = clocked.put(Readable.from(stalled(), { objectMode: false }), meta());
      await stored;
      assert.deepEqual(await clocked.purgeExpired(new Date(T0.getTime() + 30 * 60_000)), { purged: 0, abandoned: 0 });
      assert.deepEqual(await clocked.purgeExpired(new Date(T0.getTime() + 2 * 3_600_000)), { purged: 0, abandoned: 1 });
      release();
      await assert.rejects(put);
      assert.equal(await h.raw.count('documents'), 0);
      assert.equal(await h.raw.count('document_chunks'), 0);
    });
  });

  describe('verification codes', () => {
    it('issues XXXX-XXXX-XXXX codes that answer valid with issuer, date and type only', async () => {
      const doc = await store.put(pdf(2000), meta());
      const code = await store.issueVerification(doc.id, { type: 'civil-registry-extract', issuer: 'Ministry of Interior', issuedAt: new Date('2026-03-01T08:00:00.000Z') });
      assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
      assert.deepEqual(await store.verify(code), { valid: true, issuer: 'Ministry of Interior', issuedAt: '2026-03-01T08:00:00.000Z', type: 'civil-registry-extract' });
      // As typed from paper: lower case, no hyphens, spaces, O for 0 and I or L for 1.
      const typed = code.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l');
      assert.equal((await store.verify(typed)).valid, true);
      // By default: the provider, the document's date, the operation.
      const plain = await store.issueVerification(doc.id);
      const v = await store.verify(plain);
      assert.ok(v.valid);
      assert.deepEqual(Object.keys(v).sort(), ['issuedAt', 'issuer', 'type', 'valid']);
      assert.equal(v.issuer, ORIGIN.provider);
      assert.equal(v.type, ORIGIN.operation);
      assert.equal(v.issuedAt, (await store.info(doc.id))?.createdAt);
      assert.notEqual(plain, code);
      // Issued again (a reprint): the same code, and no new row.
      const before = (await h.raw.codeHashes()).length;
      assert.equal(await store.issueVerification(doc.id), plain);
      assert.equal((await h.raw.codeHashes()).length, before);
    });

    it('issues the same code when the step that stores the document writes it first, with the metadata it just read', async () => {
      const doc = await store.put(pdf(2000), meta());
      const info = await store.info(doc.id);
      const about = { type: 'extract', issuedAt: new Date('2026-03-01T08:00:00.000Z') };
      const first = await store.issueVerification(doc.id, about, { first: true, info: info! });
      assert.equal((await store.verify(first)).valid, true);
      const before = (await h.raw.codeHashes()).length;
      // Redelivered (first again), then reprinted: the same code, no new row.
      assert.equal(await store.issueVerification(doc.id, about, { first: true, info: info! }), first);
      assert.equal(await store.issueVerification(doc.id, about), first);
      assert.equal((await h.raw.codeHashes()).length, before);
      // Another document's metadata is not taken for this one's.
      const other = await store.put(pdf(1000), meta({ origin: { ...ORIGIN, provider: 'other-ministry' } }));
      assert.equal(await store.issueVerification(other.id, about, { first: true, info: info! }), await store.issueVerification(other.id, about));
      await rejectsWith(store.issueVerification(`doc_${'C'.repeat(24)}`, about, { first: true }), 'document-not-found');
    });

    it('answers invalid, and only invalid, for anything else', async () => {
      const doc = await store.put(pdf(2000), meta());
      const code = await store.issueVerification(doc.id);
      const other = code.slice(0, -1) + (code.endsWith('Z') ? 'Y' : 'Z');
      for (const bad of [other, 'ABCD-EFGH-JKMN', '', 'not a code', 'UUUU-UUUU-UUUU', code + '0', 'x'.repeat(10_000)]) {
        assert.deepEqual(await store.verify(bad), { valid: false }, bad.slice(0, 20));
      }
      // A code of another hub (another key) is not one of ours either.
      const elsewhere = await h.open({ keys: DocumentKeys.ephemeral() });
      assert.deepEqual(await elsewhere.verify(code), { valid: false });
    });

    it('keeps only an HMAC of the code: the rows do not give the codes back', async () => {
      const doc = await store.put(pdf(2000), meta());
      const code = await store.issueVerification(doc.id);
      const canonical = code.replace(/-/g, '');
      const [stored] = await h.raw.codeHashes();
      assert.match(stored!, /^[0-9a-f]{64}$/);
      for (const guess of [code, canonical, sha(Buffer.from(code)), sha(Buffer.from(canonical))]) assert.notEqual(stored, guess);
    });

    it("a purged document's code still answers valid (the paper copy is still genuine); no new code is issued for it", async () => {
      const clocked = await h.open({ keys, clock: () => new Date('2026-03-01T08:00:00.000Z') });
      const doc = await clocked.put(pdf(2000), meta({ retentionDays: 1 }));
      const code = await clocked.issueVerification(doc.id, { type: 'extract' });
      await clocked.purgeExpired(new Date('2026-03-05T00:00:00.000Z'));
      assert.equal((await clocked.verify(code)).valid, true);
      await rejectsWith(clocked.issueVerification(doc.id), 'document-purged');
      await rejectsWith(clocked.issueVerification(doc.id, {}, { first: true }), 'document-purged');
      assert.equal(await clocked.issueVerification(doc.id, { type: 'extract' }, { first: true, info: (await clocked.info(doc.id))! }), code, 'issued before the purge: the same code');
      await rejectsWith(clocked.issueVerification(`doc_${'B'.repeat(24)}`), 'document-not-found');
    });
  });

  describe('signed links', () => {
    const T = new Date('2026-03-01T08:00:00.000Z');
    const later = (s: number) => new Date(T.getTime() + s * 1000);

    it('holds until its expiry for its document and channel', async () => {
      const doc = await store.put(pdf(100), meta());
      const token = store.signLink(doc.id, 'portal', 600, T);
      assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      assert.deepEqual(store.checkLink(token, T), { documentId: doc.id, channel: 'portal' });
      assert.deepEqual(store.checkLink(token, later(599)), { documentId: doc.id, channel: 'portal' });
      assert.throws(() => store.checkLink(token, later(600)), (e: unknown) => e instanceof LinkError && e.code === 'link-expired');
      // The store's own clock when none is given.
      const clocked = await h.open({ keys, clock: () => later(10_000) });
      assert.throws(() => clocked.checkLink(token), (e: unknown) => e instanceof LinkError && e.code === 'link-expired');
      assert.throws(() => store.signLink(doc.id, 'portal', 0, T), RangeError);
      assert.throws(() => store.signLink(doc.id, 'portal', 86_401, T), RangeError);
    });

    it('refuses a token altered anywhere, signed by another key, or not a token at all', async () => {
      const doc = await store.put(pdf(100), meta());
      const token = store.signLink(doc.id, 'portal', 600, T);
      const invalid = (e: unknown) => e instanceof LinkError && e.code === 'link-invalid';
      for (let i = 0; i < token.length; i++) {
        if (token[i] === '.') continue;
        const altered = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
        assert.throws(() => store.checkLink(altered, T), invalid, `character ${i}`);
      }
      const elsewhere = await h.open({ keys: DocumentKeys.ephemeral() });
      assert.throws(() => elsewhere.checkLink(token, T), invalid);
      for (const junk of ['', '.', 'a.b.c', token.split('.')[0]!, `${token}.`, 'x'.repeat(5000)]) assert.throws(() => store.checkLink(junk, T), invalid);
    });

    it("one channel's token cannot be made another channel's, nor another document's, nor to live longer", async () => {
      const doc = await store.put(pdf(100), meta());
      const other = await store.put(pdf(100), meta());
      const token = store.signLink(doc.id, 'portal', 600, T);
      const [payloadText, mac] = token.split('.') as [string, string];
      const payload = Buffer.from(payloadText, 'base64url');
      const channelLength = payload.readUInt8(5);
      const forge = (p: Buffer) => `${p.toString('base64url')}.${mac}`;
      const invalid = (e: unknown) => e instanceof LinkError && e.code === 'link-invalid';
      // Same length channel, and another length.
      const swapChannel = (channel: string) => Buffer.concat([payload.subarray(0, 5), Buffer.from([Buffer.byteLength(channel)]), Buffer.from(channel), payload.subarray(6 + channelLength)]);
      assert.throws(() => store.checkLink(forge(swapChannel('centre')), T), invalid);
      assert.throws(() => store.checkLink(forge(swapChannel('expat-portal')), T), invalid);
      assert.throws(() => store.checkLink(forge(Buffer.concat([payload.subarray(0, 6 + channelLength), Buffer.from(other.id)])), T), invalid);
      const longer = Buffer.from(payload);
      longer.writeUInt32BE(payload.readUInt32BE(1) + 86_400, 1);
      assert.throws(() => store.checkLink(forge(longer), later(700)), invalid);
      // The genuine token for the other channel is a different token.
      assert.notEqual(store.signLink(doc.id, 'centre', 600, T), token);
    });
  });
}
