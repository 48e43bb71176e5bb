/** cutChunks: the pieces it hands on, and the plaintext it leaves behind (none). */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { cutChunks } from '../../../hub/documents/chunks';

const SIZE = 1024;

async function cut(content: Buffer | Readable, max = 1 << 20) {
  const chunks: Array<{ index: number; plain: Buffer; copy: Buffer; last: boolean }> = [];
  const totals = await cutChunks(content, max, SIZE, async (index, plain, last) => {
    chunks.push({ index, plain, copy: Buffer.from(plain), last: last !== undefined });
  });
  return { totals, chunks };
}

describe('hub/documents/chunks: cutChunks', () => {
  for (const length of [0, 1, SIZE - 1, SIZE, SIZE + 1, 3 * SIZE + 7]) {
    for (const as of ['a Buffer', 'a stream'] as const) {
      it(`cuts ${length} bytes given as ${as} into chunks of ${SIZE}, the last one with the totals`, async () => {
        const bytes = randomBytes(length);
        const source = as === 'a Buffer' ? bytes : Readable.from([bytes.subarray(0, 100), bytes.subarray(100)].filter((b) => b.length), { objectMode: false });
        const { totals, chunks } = await cut(source);
        assert.deepEqual(totals, { size: length, sha256: createHash('sha256').update(bytes).digest('hex') });
        assert.deepEqual(Buffer.concat(chunks.map((c) => c.copy)), bytes);
        assert.deepEqual(chunks.map((c) => c.index), chunks.map((_, i) => i));
        assert.deepEqual(chunks.map((c) => c.last), chunks.map((_, i) => i === chunks.length - 1));
        assert.ok(chunks.slice(0, -1).every((c) => c.copy.length === SIZE));
        assert.equal(chunks.length, Math.max(1, Math.ceil(length / SIZE)));
      });
    }
  }

  it("leaves no plaintext in the buffers it handed on, once it returns or fails", async () => {
    for (const source of [randomBytes(SIZE - 10), randomBytes(2 * SIZE + 10), Readable.from([randomBytes(SIZE + 10)])]) {
      const { chunks } = await cut(source);
      for (const c of chunks) assert.ok(c.plain.every((b) => b === 0), 'zeroed');
    }
    const handed: Buffer[] = [];
    const failing = Readable.from(
      (async function* () {
        yield randomBytes(SIZE + 10);
        throw new Error('the source broke');
      })(),
    );
    await assert.rejects(
      cutChunks(failing, 1 << 20, SIZE, async (_i, plain) => void handed.push(plain)),
      /the source broke/,
    );
    assert.ok(handed.length > 0 && handed.every((p) => p.every((b) => b === 0)));
  });

  it('refuses more than maxBytes, given whole or streamed', async () => {
    await assert.rejects(cut(randomBytes(SIZE + 1), SIZE), { limit: 'document-size' });
    await assert.rejects(cut(Readable.from([randomBytes(SIZE), randomBytes(2)]), SIZE + 1), { limit: 'document-size' });
  });
});
