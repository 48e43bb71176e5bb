/**
 * POST /v1/callbacks/:provider — where payment and postal providers call the hub back. No
 * channel key: the provider's signature over the raw body (hub/callbacks/signature.ts) is the
 * authentication, so the body is read as bytes and parsed only once the signature is checked.
 * A callback that fails the check is refused (401 callback-rejected) and logged with the reason,
 * never applied. A valid one goes to its desk, which records it once per provider event id; a
 * repeat is answered 200 (`duplicate`) so the provider stops sending it; so is a payment that is
 * not the order's invoice, amount or currency (`anomaly`: recorded, not applied — sent again, it
 * would be no more right). Failure to apply it (the store or the provider down while refunding)
 * is a 5xx: the provider sends it again.
 */
import type { FastifyInstance } from 'fastify';
import { WaslError } from '../errors';
import { MalformedCallbackError } from '../../connectors/callback-body';
import type { CallbackDesk } from '../payments';
import { verifyCallback } from './signature';

export interface CallbackRoutesOptions {
  desk: CallbackDesk;
  /** Largest callback body accepted. */
  bodyLimit?: number;
}

export async function callbackRoutes(app: FastifyInstance, opts: CallbackRoutesOptions): Promise<void> {
  // Raw bytes for every content type: the signature covers exactly what was sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: opts.bodyLimit ?? 64 * 1024 }, (_req, body, done) => done(null, body));

  app.post<{ Params: { provider: string }; Body: Buffer }>(
    '/v1/callbacks/:provider',
    {
      schema: {
        summary: 'A payment or postal provider calls the hub back',
        description: 'Signed by the provider with its shared secret (see the callbacks section of the provider file). Answers 200 with what was done, 401 when the signature does not verify.',
        tags: ['callbacks'],
        params: { type: 'object', required: ['provider'], properties: { provider: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,63}$' } } },
      },
    },
    async (request) => {
      const provider = request.params.provider;
      const receiver = opts.desk.receiver(provider);
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (!receiver) {
        request.log.warn({ provider, reason: 'unknown-provider' }, 'callback rejected');
        throw new WaslError('callback-rejected');
      }
      const check = verifyCallback(receiver.scheme, receiver.secret(), body, request.headers, { toleranceS: receiver.toleranceS });
      if (!check.ok) {
        request.log.warn({ provider, reason: check.reason }, 'callback rejected');
        throw new WaslError('callback-rejected', { detail: `The signature check failed: ${check.reason}.` });
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw new WaslError('invalid-json');
      }
      try {
        const outcome = await receiver.accept(parsed);
        return { received: true, outcome };
      } catch (err) {
        if (err instanceof MalformedCallbackError) throw new WaslError('validation-failed', { detail: err.message });
        throw err;
      }
    },
  );
}
