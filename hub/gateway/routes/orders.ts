/** /v1/orders: submit, read, list and cancel orders. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ref } from '../../../contracts';
import type { CancelRequest, Order, OrderRequest, OrderStatus } from '../../../contracts/types';
import type { Catalogue } from '../../catalogue';
import type { WaslEnv } from '../../config';
import { WaslError } from '../../errors';
import { buildOrder, requestHash } from '../../intake';
import { passThrough } from '../../tracing';
import { receiptWithOutcome } from '../../order-outcome';
import { verificationsOf } from '../../documents/verification';
import type { DocumentStore } from '../../documents/store';
import { CANCELLABLE, ORDER_STATUSES } from '../../state-machine';
import { BadCursorError } from '../../store/order-records';
import type { OrderStore } from '../../store';
import { requireChannel } from '../auth';
import { problemResponses } from '../schemas';

export interface OrderRoutesOptions {
  store: OrderStore;
  catalogue: Catalogue;
  env: WaslEnv;
  /** The document store: the receipt prints each kept document's hash and verification code. */
  documents?: DocumentStore;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,255}$/;

function withLinks(order: Order): Order {
  const self = `/v1/orders/${order.id}`;
  return { ...order, links: CANCELLABLE.includes(order.status) ? { self, cancel: `${self}/cancel` } : { self } };
}

export async function orderRoutes(app: FastifyInstance, opts: OrderRoutesOptions): Promise<void> {
  const { store, catalogue, env, documents } = opts;

  app.post<{ Body: OrderRequest; Headers: { 'idempotency-key'?: string } }>(
    '/v1/orders',
    {
      schema: {
        summary: 'Submit an order',
        description:
          'Accepts a citizen\'s request for one service. Requires an Idempotency-Key: the same key with the same body returns the same order (with `Idempotency-Replayed: true`); with another body it is refused with 409. A service the hub did not start because what it would run is not certified is refused with 503 service-not-certified.',
        tags: ['orders'],
        headers: {
          type: 'object',
          properties: { 'idempotency-key': { type: 'string', description: '1 to 255 visible ASCII characters, unique per request of this channel.' } },
        },
        body: { $ref: ref('order', 'OrderRequest') },
        response: { 202: { $ref: ref('order') }, ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const channel = requireChannel(request);
      const key = request.headers['idempotency-key'];
      if (key === undefined) throw new WaslError('idempotency-key-missing');
      if (!IDEMPOTENCY_KEY.test(key)) throw new WaslError('idempotency-key-invalid');
      const order = buildOrder(request.body, channel, catalogue, env);
      // Tracing on, the request's span is the step's trace; off, a channel's traceparent still goes with the order's first event.
      const result = await store.createOrder(order, { channel: channel.channel, key, requestHash: requestHash(request.body) }, passThrough(request.headers));
      reply.locals = { orderId: result.order.id };
      if (result.replayed) reply.header('idempotency-replayed', 'true');
      return reply.code(202).header('location', `/v1/orders/${result.order.id}`).send(withLinks(result.order));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/orders/:id',
    {
      schema: {
        summary: 'Read an order',
        tags: ['orders'],
        params: { type: 'object', required: ['id'], properties: { id: { $ref: ref('order', 'OrderId') } } },
        response: { 200: { $ref: ref('order') }, ...problemResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const order = await readOwned(store, request.params.id, requireChannel(request), reply);
      return withLinks(order);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/orders/:id/receipt',
    {
      schema: {
        summary: 'The receipt (وصل) of an order\'s payment',
        description: 'Number, order, service, amount and currency (`amountMinor`: the sum in the currency\'s minor units, `minorDigits` of them — whole pounds for SYP, cents for USD; `display`: the sum written out in Arabic and English, e.g. `$19.43`; `amount` is the same sum, kept for existing channels), payment provider and its reference, time of payment and of issue; with the labels in Arabic and English. With the documents wasl keeps for the order, the SHA-256 and verification code of each (`documents`: what the counter prints; GET /v1/documents/verify/{code} checks it). Once the order has them, also its result data (`result`: the data and its fields\' labels, from the service\'s `result` declaration) or the provider\'s refusal (`rejection`: reason, provider, message in Arabic and English). 404 receipt-not-found until the order is paid.',
        tags: ['orders'],
        params: { type: 'object', required: ['id'], properties: { id: { $ref: ref('order', 'OrderId') } } },
        response: { 200: { $ref: ref('order', 'Receipt') }, ...problemResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const order = await readOwned(store, request.params.id, requireChannel(request), reply);
      const receipt = await store.getReceipt(order.id);
      if (!receipt) throw new WaslError('receipt-not-found');
      const withOutcome = receiptWithOutcome(receipt, order, catalogue.get(order.service.code)?.definition);
      // What the counter prints with the document: its hash and verification code.
      const verifications = await verificationsOf(documents, order);
      return verifications.length ? { ...withOutcome, documents: verifications } : withOutcome;
    },
  );

  app.get<{ Querystring: { status?: OrderStatus; service?: string; channel?: string; from?: string; to?: string; cursor?: string; limit: number } }>(
    '/v1/orders',
    {
      schema: {
        summary: 'List orders, newest first',
        description: 'A channel sees its own orders; a channel with readAll may see every channel\'s and filter by channel. Follow `nextCursor` for the next page.',
        tags: ['orders'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ORDER_STATUSES },
            service: { $ref: ref('order', 'ServiceCode') },
            channel: { $ref: ref('order', 'ChannelId') },
            from: { type: 'string', format: 'date-time', description: 'Created at or after.' },
            to: { type: 'string', format: 'date-time', description: 'Created before.' },
            cursor: { type: 'string', maxLength: 200 },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: { $ref: ref('order', 'OrderSummary') } }, nextCursor: { type: 'string' } },
          },
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const channel = requireChannel(request);
      const q = request.query;
      if (q.channel && q.channel !== channel.channel && !channel.readAll) throw new WaslError('forbidden');
      try {
        return await store.listOrders({
          channel: channel.readAll ? q.channel : channel.channel,
          status: q.status,
          service: q.service,
          from: filterDate(q.from),
          to: filterDate(q.to),
          cursor: q.cursor,
          limit: q.limit,
        });
      } catch (err) {
        if (err instanceof BadCursorError) {
          throw new WaslError('validation-failed', { errors: [{ pointer: '/cursor', in: 'query', detail: 'is not a cursor from this API', detailAr: 'مؤشر صفحة غير صالح' }] });
        }
        throw err;
      }
    },
  );

  app.post<{ Params: { id: string }; Body: CancelRequest | undefined }>(
    '/v1/orders/:id/cancel',
    {
      schema: {
        summary: 'Cancel an order',
        description: `Possible while the order is ${CANCELLABLE.join(', ')}; a paid order is then refunded.`,
        tags: ['orders'],
        params: { type: 'object', required: ['id'], properties: { id: { $ref: ref('order', 'OrderId') } } },
        body: { $ref: ref('order', 'CancelRequest') },
        response: { 200: { $ref: ref('order') }, ...problemResponses(400, 401, 404, 409) },
      },
      // The body is optional: no body is a cancellation without a reason.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const channel = requireChannel(request);
      const current = await readOwned(store, request.params.id, channel, reply);
      // readAll lets a back office read every channel's orders, not change them: only the channel
      // that submitted an order cancels it (a cancelled paid order is refunded).
      if (current.channel.id !== channel.channel) throw new WaslError('order-not-found');
      const order = await store.transition(request.params.id, {
        to: 'cancelled',
        actor: { kind: 'channel', id: channel.channel },
        reason: request.body?.reason ?? { code: 'cancelled-by-channel' },
      });
      return withLinks(order);
    },
  );
}

/**
 * A date filter as a Date. date-time allows a leap second (23:59:60), which Date cannot read: it
 * is read as the second before, which bounds the same orders to within that second.
 */
function filterDate(value: string | undefined): Date | undefined {
  return value ? new Date(value.replace(/(T\d\d:\d\d:)60/i, '$159')) : undefined;
}

/** An order the channel may see; another channel's order is reported as not found, not forbidden. */
async function readOwned(store: OrderStore, id: string, channel: { channel: string; readAll?: boolean }, reply: FastifyReply): Promise<Order> {
  reply.locals = { orderId: id };
  const order = await store.getOrder(id);
  if (!order || (!channel.readAll && order.channel.id !== channel.channel)) throw new WaslError('order-not-found');
  return order;
}

declare module 'fastify' {
  interface FastifyReply {
    /** What the request log line carries besides the request itself. */
    locals?: { orderId?: string };
  }
}
