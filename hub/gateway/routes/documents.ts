/**
 * Documents handed over (docs/documents.md, "Handed over"):
 *
 *   GET  /v1/orders/:id/documents/:doc        the owning channel downloads one of its order's documents
 *   POST /v1/orders/:id/documents/:doc/link   the owning channel gets a short-lived signed link for the citizen
 *   GET  /v1/documents/links/:token           anyone holding the link downloads (no channel key: the token is the key)
 *   GET  /v1/documents/verify/:code           anyone holding a printed copy checks its verification code
 *
 * The first two sit with the channels' routes (channel key, the channel's rate limit); the last
 * two are public, each with a limit per client address of its own (`documentPublicRoutes`).
 *
 * Who may have a document: the channel that submitted the order — not a back office with readAll
 * (it reads orders, it does not hand citizens their papers) — and only a document the order's
 * results cite (`results.documents[].reference`, the document store's id). Another channel's order
 * is "no such order", as everywhere: a 403 would say the order exists.
 *
 * Every download is audited before its first byte leaves (`document.download`: who, the order,
 * the document's id and SHA-256, by channel or link — nothing of the citizen); a download whose
 * record cannot be written is refused. A chunk that fails its check mid-stream aborts the
 * response (the socket is destroyed): a client sees a broken transfer, never a clean end to a
 * truncated or altered document.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ref } from '../../../contracts';
import type { Order } from '../../../contracts/types';
import { DocumentError, LinkError } from '../../documents/errors';
import type { DocumentInfo, DocumentStore } from '../../documents/store';
import { WaslError } from '../../errors';
import type { AuditStore, OrderStore } from '../../store';
import { requireChannel } from '../auth';
import { problemResponses } from '../schemas';

export type DocumentEvent = 'download-channel' | 'download-link' | 'verify';

export interface DocumentRoutesOptions {
  store: OrderStore & Pick<AuditStore, 'appendAudit'>;
  documents: DocumentStore;
  /** Counts downloads and verifications (HubMetrics.observeDocument). */
  observe?: (event: DocumentEvent, outcome: string) => void;
}

export interface DocumentChannelRoutesOptions extends DocumentRoutesOptions {
  /** Where links point (WASL_PUBLIC_URL); the address the request came to (its Host, checked by the exposure rules) otherwise. */
  publicUrl?: string;
}

export interface DocumentPublicRoutesOptions extends DocumentRoutesOptions {
  /** Verification checks per client address per minute: a code has 60 bits, and this keeps guessing far out of reach. */
  verifyPerMinute?: number;
  /** Link downloads per client address per minute. */
  linkPerMinute?: number;
}

/** 15 minutes: long enough to open an SMS, short enough that a forwarded link soon dies (a link cannot be revoked). */
export const DEFAULT_LINK_TTL_SECONDS = 900;
export const MAX_LINK_TTL_SECONDS = 86_400;

const documentParam = { type: 'string', minLength: 1, maxLength: 64, description: "The document's id: the `reference` of one of the order's `results.documents`." } as const;
const orderDocParams = { type: 'object', required: ['id', 'doc'], properties: { id: { $ref: ref('order', 'OrderId') }, doc: documentParam } } as const;

const binaryResponse = {
  description:
    'The document, byte for byte as the provider issued it, as an attachment: `Content-Type` its media type, `Content-Length`, `ETag` the quoted lower-case hex SHA-256 and `Repr-Digest` the same as `sha-256=:<base64>:` (RFC 9530), `Cache-Control: no-store`. A transfer cut short means the stored content failed its check: discard what arrived.',
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
} as const;

/** The owning channel's routes: inside the channels' scope (their key, their rate limit). */
export async function documentRoutes(app: FastifyInstance, opts: DocumentChannelRoutesOptions): Promise<void> {
  const { store, documents } = opts;

  app.get<{ Params: { id: string; doc: string } }>(
    '/v1/orders/:id/documents/:doc',
    {
      // A HEAD would be a download for the audit trail that hands nothing over.
      exposeHeadRoute: false,
      schema: {
        summary: "Download one of the order's documents",
        description:
          'Only the channel that submitted the order, and only a document its `results.documents` cite (by `reference`). Every download is recorded in the audit trail. 404 document-not-found for a document the order does not cite; 410 document-purged once its retention is over (the problem carries its `sha256`, which remains).',
        tags: ['documents'],
        params: orderDocParams,
        response: { 200: binaryResponse, ...problemResponses(400, 401, 404, 410, 429, 500) },
      },
    },
    async (request, reply) => {
      const channel = requireChannel(request);
      const { order, info } = await ownedDocument(store, documents, request.params.id, request.params.doc, channel.channel, reply);
      return serve(reply, request, documents, store, info, { actor: `channel:${channel.channel}`, subject: order.id, via: 'channel' }, opts.observe);
    },
  );

  app.post<{ Params: { id: string; doc: string }; Body: { ttlSeconds?: number } | undefined }>(
    '/v1/orders/:id/documents/:doc/link',
    {
      schema: {
        summary: 'A short-lived download link for the citizen',
        description: `A URL anyone holding it may download the document from, without a key, until \`expiresAt\`: ${DEFAULT_LINK_TTL_SECONDS / 60} minutes by default, \`ttlSeconds\` from 60 to ${MAX_LINK_TTL_SECONDS} (a day). It cannot be revoked; it stops working sooner if the order is no longer this channel's. Each download through it is audited.`,
        tags: ['documents'],
        params: orderDocParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { ttlSeconds: { type: 'integer', minimum: 60, maximum: MAX_LINK_TTL_SECONDS, default: DEFAULT_LINK_TTL_SECONDS } },
        },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['url', 'expiresAt'],
            properties: { url: { type: 'string', format: 'uri' }, expiresAt: { type: 'string', format: 'date-time' } },
          },
          ...problemResponses(400, 401, 404, 410, 415, 429),
        },
      },
      // The body is optional: no body is a link of the default lifetime.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const channel = requireChannel(request);
      const { info } = await ownedDocument(store, documents, request.params.id, request.params.doc, channel.channel, reply);
      // No link to content that is gone: the citizen would get a 410 for a link just given.
      if (info.purgedAt) throw purged(info);
      const ttl = request.body?.ttlSeconds ?? DEFAULT_LINK_TTL_SECONDS;
      const now = new Date();
      const token = documents.signLink(info.id, channel.channel, ttl, now);
      const base = opts.publicUrl ?? `${request.protocol}://${request.host}`;
      reply.header('cache-control', 'no-store');
      return { url: `${base}/v1/documents/links/${token}`, expiresAt: new Date(Math.floor(now.getTime() / 1000) * 1000 + ttl * 1000).toISOString() };
    },
  );
}

/** The public routes: a signed link's download and a code's verification, each limited per client address. */
export async function documentPublicRoutes(app: FastifyInstance, opts: DocumentPublicRoutesOptions): Promise<void> {
  const { store, documents } = opts;
  const limited = (max: number) => ({ rateLimit: { max, timeWindow: 60_000 } });

  app.get<{ Params: { token: string } }>(
    '/v1/documents/links/:token',
    {
      exposeHeadRoute: false,
      config: limited(opts.linkPerMinute ?? 60),
      schema: {
        summary: 'Download a document through a signed link',
        description: 'No key: the link is the credential. 404 link-invalid for a link this hub did not sign (or altered); 410 link-expired after its `expiresAt`; 410 document-purged after the retention. Limited per client address.',
        tags: ['documents'],
        security: [],
        params: { type: 'object', required: ['token'], properties: { token: { type: 'string', minLength: 1, maxLength: 256 } } },
        response: { 200: binaryResponse, ...problemResponses(400, 404, 410, 429, 500) },
      },
    },
    async (request, reply) => {
      let claims: { documentId: string; channel: string };
      try {
        claims = documents.checkLink(request.params.token);
      } catch (err) {
        if (err instanceof LinkError) {
          opts.observe?.('download-link', err.code);
          throw new WaslError(err.code);
        }
        throw err;
      }
      const info = await documents.info(claims.documentId);
      if (!info) throw new WaslError('link-invalid');
      // The link was checked against the order when it was signed; the order must still be that channel's and cite it.
      let subject = `document:${info.id}`;
      if (info.orderId !== undefined) {
        const order = await store.getOrder(info.orderId);
        if (!order || order.channel.id !== claims.channel || !cites(order, info.id)) throw new WaslError('link-invalid');
        subject = order.id;
        reply.locals = { orderId: order.id };
      }
      return serve(reply, request, documents, store, info, { actor: `link:${claims.channel}`, subject, via: 'link' }, opts.observe);
    },
  );

  app.get<{ Params: { code: string } }>(
    '/v1/documents/verify/:code',
    {
      config: limited(opts.verifyPerMinute ?? 10),
      schema: {
        summary: 'Check a printed verification code',
        description:
          'Whether wasl issued the paper carrying this code (`XXXX-XXXX-XXXX`; case, spaces and the look-alikes O/0, I/L/1 are forgiven): `valid`, and when valid only the issuer, the date of issue and the type — nothing of the order or the citizen. A document past its retention still answers valid. Strictly limited per client address.',
        tags: ['documents'],
        security: [],
        params: { type: 'object', required: ['code'], properties: { code: { type: 'string', minLength: 1, maxLength: 40 } } },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['valid'],
            properties: { valid: { type: 'boolean' }, issuer: { type: 'string' }, issuedAt: { type: 'string', format: 'date-time' }, type: { type: 'string' } },
          },
          ...problemResponses(400, 429),
        },
      },
    },
    async (request, reply) => {
      const answer = await documents.verify(request.params.code);
      opts.observe?.('verify', answer.valid ? 'valid' : 'invalid');
      reply.header('cache-control', 'no-store');
      return answer;
    },
  );
}

/** Whether the order's results cite the document (its `reference`; a `documentId` too, should results carry one). */
function cites(order: Order, documentId: string): boolean {
  return (order.results?.documents ?? []).some((d) => d.reference === documentId || (d as { documentId?: unknown }).documentId === documentId);
}

/** The order, if `channel` submitted it, and the document, if the order cites it and it belongs to no other order. */
async function ownedDocument(store: OrderStore, documents: DocumentStore, orderId: string, documentId: string, channel: string, reply: FastifyReply): Promise<{ order: Order; info: DocumentInfo }> {
  reply.locals = { orderId };
  const order = await store.getOrder(orderId);
  if (!order || order.channel.id !== channel) throw new WaslError('order-not-found');
  if (!cites(order, documentId)) throw new WaslError('document-not-found');
  const info = await documents.info(documentId);
  // A flow that cited another order's document would hand it to the wrong channel: its origin decides.
  if (!info || (info.orderId !== undefined && info.orderId !== order.id)) throw new WaslError('document-not-found');
  return { order, info };
}

const purged = (info: DocumentInfo) =>
  new WaslError('document-purged', {
    detail: `Its content was deleted at ${info.purgedAt ?? 'the end of its retention'}; its SHA-256 is kept.`,
    detailAr: 'حُذف محتواها بانتهاء مدة الاحتفاظ، وبقيت بصمتها SHA-256.',
    extra: { sha256: info.sha256, ...(info.purgedAt ? { purgedAt: info.purgedAt } : {}) },
  });

/** The document store's refusal as the gateway answers it; a fault of the content is logged, never detailed. */
function refusal(err: unknown, info: DocumentInfo, request: FastifyRequest): unknown {
  if (!(err instanceof DocumentError)) return err;
  if (err.code === 'document-purged') return purged(info);
  if (err.code === 'document-not-found') return new WaslError('document-not-found');
  // Corrupt or sealed under another key: an operator's matter (the message names the document by id only).
  request.log.error({ code: err.code, err: { message: err.message } }, 'a stored document cannot be read');
  return new WaslError('document-unreadable');
}

/** RFC 6266: an ASCII fallback and the exact name percent-encoded; the provider's name is never pasted into the header as it is. */
export function contentDisposition(info: Pick<DocumentInfo, 'id' | 'filename' | 'mediaType'>): string {
  const name = info.filename ?? `${info.id}${info.mediaType === 'application/pdf' ? '.pdf' : ''}`;
  const ascii = name.replace(/[^A-Za-z0-9._ -]/g, '_').replace(/^[ .]+/, '').slice(0, 150) || 'document';
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

async function serve(
  reply: FastifyReply,
  request: FastifyRequest,
  documents: DocumentStore,
  store: Pick<AuditStore, 'appendAudit'>,
  info: DocumentInfo,
  who: { actor: string; subject: string; via: 'channel' | 'link' },
  observe: DocumentRoutesOptions['observe'],
): Promise<FastifyReply> {
  const event: DocumentEvent = who.via === 'link' ? 'download-link' : 'download-channel';
  let stream: Readable;
  try {
    // Opens and checks the first chunk: a purged, missing or corrupt document fails here, before a status line is sent.
    stream = await documents.open(info.id);
  } catch (err) {
    const answer = refusal(err, info, request);
    observe?.(event, answer instanceof WaslError ? answer.code : 'error');
    throw answer;
  }
  try {
    // Recorded before the first byte leaves: a download the trail does not hold does not happen.
    await store.appendAudit([{ at: new Date().toISOString(), kind: 'document.download', actor: who.actor, subject: who.subject, data: { document: info.id, sha256: info.sha256, via: who.via } }]);
  } catch (err) {
    stream.destroy();
    throw err;
  }
  // A chunk that fails its check later: the socket goes, so the client cannot take a short body for a whole one.
  // (Fastify destroys the response too once headers are out; this does not depend on it.)
  stream.once('error', (err) => {
    request.log.error({ code: err instanceof DocumentError ? err.code : 'error', err: { message: err.message } }, 'a document download was aborted: its stored content failed a check');
    observe?.(event, 'aborted');
    reply.raw.destroy();
  });
  observe?.(event, 'served');
  return reply
    .code(200)
    .header('content-type', info.mediaType)
    .header('content-length', String(info.size))
    .header('content-disposition', contentDisposition(info))
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    // Whatever the media type says, a browser that opens it runs nothing of it in the hub's origin.
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('referrer-policy', 'no-referrer')
    .header('etag', `"${info.sha256}"`)
    .header('repr-digest', `sha-256=:${Buffer.from(info.sha256, 'hex').toString('base64')}:`)
    .send(stream);
}
