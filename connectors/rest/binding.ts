/**
 * What a REST operation needs at run time, beside its input and output schemas: written by the
 * OpenAPI importer into operations/<Op>.bindings.json, or built from a hand-described operation
 * in provider.json (connectors/rest/manual.ts). The connector reads only this shape.
 *
 * The input of every REST operation has one convention, whatever its origin:
 *
 *     { path?: { <name>: value }, query?: { <name>: value }, headers?: { <Name>: value }, body?: <body> }
 *
 * `path`, `query` and `headers` hold the declared parameters with their own schemas (a group is
 * absent when the operation declares none; it is required when one of its members is); `body`
 * is the request body: a JSON value for application/json, or for application/xml an object in
 * the XML mapping of connectors/rest/xml-body.ts, written under the element `xmlRoot`.
 */
export type MediaKind = 'json' | 'xml' | 'text' | 'binary';

export interface RestParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  /** OpenAPI serialisation; defaults: `form` + explode for query (arrays as repeated keys), `simple` for path and header. */
  style?: 'form' | 'simple' | 'spaceDelimited' | 'pipeDelimited' | 'deepObject' | 'label' | 'matrix';
  explode?: boolean;
  /** The parameter is declared with `content: application/json`: its value is sent as JSON text. */
  json?: boolean;
}

export interface ErrorResponse {
  mediaType: string;
  schema: Record<string, unknown>;
}

export interface RestBinding {
  method: string;
  /** Path template relative to the environment's endpoint, e.g. /persons/{nationalNumber}. */
  path: string;
  parameters: RestParameter[];
  /** Absent when the operation takes no body. */
  requestMediaType?: string;
  requestBodyRequired?: boolean;
  /** Root element of an XML request body, and its namespace (the default namespace of the document). */
  xmlRoot?: string;
  xmlNamespace?: string;
  /** Absent when the success response has no body (204, or nothing declared). */
  responseMediaType?: string;
  /** Root element of an XML success response, when the contract names it (informational: not enforced). */
  responseXmlRoot?: string;
  /** Documented success statuses; any 2xx is taken as success, these tell what to expect. */
  successStatuses: number[];
  /** Documented error bodies by status ("404", "4XX", "default"), for error mapping and the sandbox. */
  errorResponses: Record<string, ErrorResponse>;
}

export const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

export function mediaKind(mediaType: string | undefined): MediaKind {
  const mt = (mediaType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mt === 'application/json' || mt.endsWith('+json') || mt === 'text/json') return 'json';
  if (mt === 'application/xml' || mt === 'text/xml' || mt.endsWith('+xml')) return 'xml';
  if (mt.startsWith('text/')) return 'text';
  return 'binary';
}

/** A request the input cannot make (a header value with a line break…); the value is never in the message. */
export class RequestBuildError extends Error {
  constructor(readonly pointer: string, message: string) {
    super(message);
  }
}
