/**
 * The document store's keys, codes and links on their own, without a database: each key derived
 * under its own label (none is another wasl key), the sandbox's key file kept 0600 and reused, codes
 * drawn and read back as people type them, a link's fields bound by its MAC.
 */
import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeHash, derivedCode, normalizeCode } from '../../../hub/documents/codes';
import { cleanFilename, isDocumentId, newDocumentId, normalizeMediaType } from '../../../hub/documents/encrypted';
import { DocumentKeys, SANDBOX_KEY_FILE } from '../../../hub/documents/keys';
import { checkLinkToken, signLinkToken } from '../../../hub/documents/links';
import { documentSource } from '../../../hub/documents/source';
import { openDocumentStore } from '../../../hub/documents/sqlite';
import { SqliteDatabase } from '../../../hub/sqlite/database';

const SECRET = 'a-secret-of-at-least-32-characters-for-document-tests';

describe('documents: keys, codes, links', () => {
  describe('keys', () => {
    it('derives three distinct keys from WASL_SECRET, none of them another wasl key', () => {
      const k = DocumentKeys.from({ secret: SECRET });
      const again = DocumentKeys.from({ secret: SECRET });
      assert.ok(k.content.equals(again.content));
      assert.equal(k.keyId, again.keyId);
      assert.ok(k.content.equals(Buffer.from(hkdfSync('sha256', SECRET, 'wasl', 'documents-v1', 32))));
      const all = [k.content, k.codes, k.links].map((b) => b.toString('hex'));
      assert.equal(new Set(all).size, 3);
      for (const other of ['audit-bodies-v1', 'wasl audit chain v1', 'wasl node-red credentials v1']) assert.ok(!all.includes(Buffer.from(hkdfSync('sha256', SECRET, 'wasl', other, 32)).toString('hex')));
      assert.notEqual(DocumentKeys.from({ secret: `${SECRET}x` }).keyId, k.keyId);
      assert.match(k.keyId, /^[0-9a-f]{16}$/);
    });

    it('without a secret, keeps a random key in the data directory (0600) and reuses it', () => {
      const dir = mkdtempSync(join(tmpdir(), 'wasl-doc-keys-'));
      try {
        const first = DocumentKeys.from({ dataDir: dir });
        const file = join(dir, SANDBOX_KEY_FILE);
        assert.equal(statSync(file).mode & 0o777, 0o600);
        assert.match(readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
        assert.equal(DocumentKeys.from({ dataDir: dir }).keyId, first.keyId);
        // The secret wins over the file when both are there.
        assert.equal(DocumentKeys.from({ secret: SECRET, dataDir: dir }).keyId, DocumentKeys.from({ secret: SECRET }).keyId);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      assert.throws(() => DocumentKeys.from({}), /needs a key/);
      assert.notEqual(DocumentKeys.ephemeral().keyId, DocumentKeys.ephemeral().keyId);
    });
  });

  describe('codes', () => {
    it('derives 12 Crockford characters, well spread, the same for the same document and attestation, and reads back what people type', () => {
      const seen = new Set<string>();
      const chars = new Map<string, number>();
      const codesKey = DocumentKeys.ephemeral().codes;
      const about = { type: 'extract', issuer: 'moi', issuedAt: '2026-03-01T08:00:00.000Z' };
      assert.equal(derivedCode(codesKey, 'doc_A', about), derivedCode(codesKey, 'doc_A', about));
      assert.notEqual(derivedCode(codesKey, 'doc_A', about), derivedCode(codesKey, 'doc_A', { ...about, type: 'other' }));
      assert.notEqual(derivedCode(codesKey, 'doc_A', about), derivedCode(DocumentKeys.ephemeral().codes, 'doc_A', about));
      for (let i = 0; i < 2000; i++) {
        const c = derivedCode(codesKey, `doc_${i}`, about);
        assert.match(c, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
        seen.add(c);
        for (const ch of c.replace(/-/g, '')) chars.set(ch, (chars.get(ch) ?? 0) + 1);
      }
      assert.equal(seen.size, 2000);
      assert.equal(chars.size, 32);
      assert.equal(normalizeCode('abcd efgh jkmn'), 'ABCDEFGHJKMN');
      assert.equal(normalizeCode('0O1I-L000-0000'), '001110000000');
      for (const bad of ['ABCD-EFGH-JKM', 'ABCD-EFGH-JKMNP', 'ABCU-EFGH-JKMN', 'ABCD_EFGH_JKMN', '']) assert.equal(normalizeCode(bad), undefined, bad);
      const key = DocumentKeys.ephemeral().codes;
      assert.equal(codeHash(key, 'ABCDEFGHJKMN'), codeHash(key, 'ABCDEFGHJKMN'));
      assert.notEqual(codeHash(key, 'ABCDEFGHJKMN'), codeHash(DocumentKeys.ephemeral().codes, 'ABCDEFGHJKMN'));
    });
  });

  describe('links', () => {
    it('binds document, channel and expiry; checks the MAC before anything else', () => {
      const key = DocumentKeys.ephemeral().links;
      const id = newDocumentId();
      const token = signLinkToken(key, { documentId: id, channel: 'بوابة-المغتربين' }, 1_800_000_000);
      assert.deepEqual(checkLinkToken(key, token, 1_799_999_999, isDocumentId), { documentId: id, channel: 'بوابة-المغتربين' });
      assert.throws(() => checkLinkToken(key, token, 1_800_000_000, isDocumentId), /expired/);
      assert.throws(() => signLinkToken(key, { documentId: id, channel: '' }, 1_800_000_000), RangeError);
      assert.throws(() => signLinkToken(key, { documentId: id, channel: 'x'.repeat(256) }, 1_800_000_000), RangeError);
      // Another key's token for an expired date says invalid, not expired: nothing is read before the MAC.
      const foreign = signLinkToken(DocumentKeys.ephemeral().links, { documentId: id, channel: 'portal' }, 1);
      assert.throws(() => checkLinkToken(key, foreign, 1_800_000_000, isDocumentId), (e: Error & { code?: string }) => e.code === 'link-invalid');
    });
  });

  describe('metadata', () => {
    it('makes URL-safe ids of 144 bits, normalizes media types, keeps a file name only as a name', () => {
      const ids = new Set(Array.from({ length: 1000 }, newDocumentId));
      assert.equal(ids.size, 1000);
      for (const id of ids) assert.ok(isDocumentId(id) && encodeURIComponent(id) === id);
      assert.equal(normalizeMediaType('Application/PDF; charset=binary'), 'application/pdf');
      assert.equal(normalizeMediaType('text/html<script>'), 'application/octet-stream');
      assert.equal(normalizeMediaType(undefined), 'application/octet-stream');
      assert.equal(cleanFilename('../../etc/passwd'), 'passwd');
      assert.equal(cleanFilename('C:\\docs\\شهادة.pdf'), 'شهادة.pdf');
      assert.equal(cleanFilename('a\r\nContent-Type: x.pdf'), 'aContent-Type: x.pdf');
      assert.equal(cleanFilename('..'), undefined);
      assert.equal(cleanFilename(''), undefined);
    });
  });
});

describe('documents: the store as a DocumentSource', () => {
  it('hands the connectors the stream with the stored media type and size', async () => {
    const database = new SqliteDatabase(':memory:');
    try {
      const store = openDocumentStore(database, { keys: DocumentKeys.ephemeral() });
      const h = await store.put(Buffer.from('%PDF-1.7 small'), { mediaType: 'application/pdf', origin: { provider: 'p', operation: 'o', source: 'body' }, maxBytes: 100 });
      const got = await documentSource(store).open(h.id);
      assert.equal(got.mediaType, 'application/pdf');
      assert.equal(got.size, 14);
      const parts: Buffer[] = [];
      for await (const p of got.stream) parts.push(p as Buffer);
      assert.equal(Buffer.concat(parts).toString(), '%PDF-1.7 small');
      await assert.rejects(documentSource(store).open(`doc_${'C'.repeat(24)}`), /no document/);
    } finally {
      database.close();
    }
  });
});
