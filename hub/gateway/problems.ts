/**
 * Every error the gateway returns is application/problem+json (RFC 9457) with its code, an
 * English title and an Arabic one, and where useful the JSON pointers of what is invalid.
 * Unexpected errors are logged with their stack and answered with a bare 500: nothing internal
 * leaves the process.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Problem } from '../../contracts/types';
import { WaslError, isWaslError, type ErrorCode } from '../errors';
import { fieldErrors } from '../field-errors';

export const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

export function problemOf(err: WaslError, requestId: string): Problem {
  const p: Problem = { type: `urn:wasl:problem:${err.code}`, title: err.title, titleAr: err.titleAr, status: err.status, code: err.code, instance: requestId };
  if (err.detail) p.detail = err.detail;
  if (err.detailAr) p.detailAr = err.detailAr;
  if (err.errors?.length) p.errors = err.errors;
  return { ...p, ...err.extra };
}

export function sendProblem(reply: FastifyReply, err: WaslError): FastifyReply {
  if (err.headers) reply.headers(err.headers);
  return reply.code(err.status).type(PROBLEM_TYPE).send(problemOf(err, String(reply.request.id)));
}

const PARTS = { body: 'body', querystring: 'query', params: 'path', headers: 'header' } as const;

/** Fastify's own errors (parsing, limits, schema validation) as wasl errors. */
export function fromFastifyError(err: FastifyError): WaslError | undefined {
  if (err.validation) {
    const part = PARTS[(err.validationContext ?? 'body') as keyof typeof PARTS] ?? 'body';
    const errors = fieldErrors(err.validation as never).map((e) => (part === 'body' ? e : { ...e, in: part }));
    return new WaslError('validation-failed', { errors });
  }
  const byCode: Record<string, ErrorCode> = {
    FST_ERR_CTP_INVALID_JSON_BODY: 'invalid-json',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid-json',
    FST_ERR_CTP_BODY_TOO_LARGE: 'body-too-large',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid-json',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
    FST_ERR_CTP_INVALID_TYPE: 'unsupported-media-type',
    // @fastify/static (the sandbox's /docs files) refuses paths such as `/docs/static//`: to a client, no such file.
    FST_STATIC_FORBIDDEN_PATH: 'not-found',
  };
  const code = err.code ? byCode[err.code] : undefined;
  if (code) return new WaslError(code);
  // secure-json-parse refuses __proto__ and constructor.prototype with a SyntaxError.
  if (err instanceof SyntaxError || err.statusCode === 400) return new WaslError('invalid-json');
  if (err.statusCode === 413) return new WaslError('body-too-large');
  if (err.statusCode === 415) return new WaslError('unsupported-media-type');
  return undefined;
}

/**
 * Fastify's frameworkErrors option: what fails before any route or hook runs — a URL whose
 * percent-encoding does not decode, a path parameter longer than the router takes (the longest id
 * any route has is far shorter). Left to Fastify, these are its own JSON with the path echoed,
 * not a problem document.
 */
export function frameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known =
    err.code === 'FST_ERR_BAD_URL'
      ? new WaslError('validation-failed', { detail: 'The path is not a valid URL: a percent-encoded sequence does not decode.', detailAr: 'المسار ليس عنواناً صالحاً: فيه ترميز لا يمكن فكّه.' })
      : err.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new WaslError('not-found')
        : fromFastifyError(err);
  if (!known) request.log.error({ err }, 'unexpected error');
  // The routes' onSend hook never runs for these: the request id is set here.
  void sendProblem(reply.header('x-request-id', request.id), known ?? new WaslError('internal'));
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = isWaslError(error) ? error : fromFastifyError(error);
    if (known) {
      request.log.debug({ code: known.code }, 'request refused');
      return sendProblem(reply, known);
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendProblem(reply, new WaslError('internal'));
  });
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, new WaslError('not-found')));
}
