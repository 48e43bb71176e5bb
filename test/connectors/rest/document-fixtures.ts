/** Shared by the REST document tests: an in-memory document sink and a contract whose answers carry documents. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { DocumentHandle, DocumentOrigin, DocumentSink } from '../../../connectors/documents';
import { UnsafeResponse } from '../../../connectors/errors';
import { importOpenApi } from '../../../connectors/import/openapi';
import type { Operations } from './helpers';

export interface Stored {
  content: Buffer;
  mediaType: string;
  filename?: string;
  origin: DocumentOrigin;
  maxBytes: number;
}

/** Keeps documents in memory, as the real store would take them: streamed, hashed, refused past maxBytes having held at most that. */
export class MemorySink implements DocumentSink {
  readonly stored = new Map<string, Stored>();
  /** Every put, finished or not, and the most bytes any one of them held. */
  puts = 0;
  mostHeld = 0;

  async put(content: Readable | Buffer, meta: { mediaType: string; filename?: string; origin: DocumentOrigin; maxBytes: number }): Promise<DocumentHandle> {
    this.puts++;
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of Buffer.isBuffer(content) ? [content] : content) {
      const c = chunk as Buffer;
      if (size + c.length > meta.maxBytes) {
        if (!Buffer.isBuffer(content)) content.destroy();
        throw new UnsafeResponse('document-size', `document over ${meta.maxBytes} bytes`);
      }
      size += c.length;
      this.mostHeld = Math.max(this.mostHeld, size);
      hash.update(c);
      chunks.push(c);
    }
    const id = `doc-${this.stored.size + 1}`;
    this.stored.set(id, { content: Buffer.concat(chunks), mediaType: meta.mediaType, ...(meta.filename ? { filename: meta.filename } : {}), origin: meta.origin, maxBytes: meta.maxBytes });
    return { id, mediaType: meta.mediaType, size, sha256: hash.digest('hex'), ...(meta.filename ? { filename: meta.filename } : {}) };
  }
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A PDF-looking body of `size` bytes, random inside, so only a byte-exact copy hashes the same. */
export function fakePdf(size: number, seed = 1): Buffer {
  const head = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');
  const tail = Buffer.from('\n%%EOF\n', 'latin1');
  const body = Buffer.alloc(size - head.length - tail.length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < body.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    body[i] = x & 0xff;
  }
  return Buffer.concat([head, body, tail]);
}

/** An OpenAPI 3.0 ministry contract whose answers carry documents in each way REST does. */
const CONTRACT = {
  openapi: '3.0.3',
  info: { title: 'Civil registry documents', version: '1.0.0' },
  paths: {
    '/extracts/{reference}/pdf': {
      get: {
        operationId: 'GetExtractPdf',
        parameters: [{ name: 'reference', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'the signed extract', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } },
          '404': { description: 'unknown', content: { 'application/json': { schema: { type: 'object', properties: { code: { type: 'string' } } } } } },
        },
      },
    },
    '/statements/{reference}': {
      get: {
        operationId: 'GetStatement',
        parameters: [{ name: 'reference', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'a statement with its document inline',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['reference', 'document'],
                  additionalProperties: false,
                  properties: {
                    reference: { type: 'string' },
                    document: { $ref: '#/components/schemas/Document' },
                    annexes: { type: 'array', items: { $ref: '#/components/schemas/Document' } },
                  },
                },
              },
            },
          },
        },
      },
    },
    '/registers/{reference}/csv': {
      get: {
        operationId: 'GetRegisterCsv',
        parameters: [{ name: 'reference', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'an export', content: { 'text/csv': { schema: { type: 'string', format: 'binary' } } } } },
      },
    },
  },
  components: {
    schemas: {
      Document: {
        type: 'object',
        required: ['mediaType', 'content'],
        additionalProperties: false,
        properties: {
          mediaType: { type: 'string' },
          fileName: { type: 'string' },
          content: { type: 'string', format: 'byte', nullable: true },
        },
      },
    },
  },
};

export async function documentOperations(): Promise<Operations> {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-rest-docs-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(CONTRACT));
    const imported = await importOpenApi('moi-documents', file);
    return Object.fromEntries(imported.operations.map((o) => [o.name, o]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
