/**
 * Everything one SOAP operation needs at call time, compiled once from the model: the envelope
 * template with its namespace declarations, the fixed HTTP headers, the body and header
 * encoders, the body and header decoders, the X-Road header builder and the JSON Schema
 * validators of its input and output.
 */
import type { ValidateFunction } from 'ajv';
import type Ajv2020 from 'ajv/dist/2020';
import type { XRoad } from '../../contracts/types';
import type { OperationInfo } from '../connector';
import { messageHasBinary, withDocumentHandles } from './binary';
import { compileHeaderDecoder, compileMessageDecoder, type HeaderDecoder, type MessageDecoder } from './decode';
import { compileHeaderEncoder, compileMessageEncoder, Prefixes, type HeaderEncoder, type MessageEncoder } from './encode';
import { envelopeTemplate, soapHttpHeaders, type EnvelopeTemplate } from './envelope';
import type { OperationModel, ServiceModel } from './model';
import { compileXRoadHeaders, type XRoadHeaderBuilder } from './xroad';

export interface OperationSchemas {
  input: object;
  output: object;
}

export interface CompiledOperation {
  name: string;
  model: OperationModel;
  info: OperationInfo;
  template: EnvelopeTemplate;
  /** Content-Type, SOAPAction, and the provider's auth headers, merged once. */
  httpHeaders: Record<string, string>;
  /** Whether the operation sends an X-Road `id` (which then carries the idempotency key). */
  xroadId: boolean;
  body: MessageEncoder;
  headers: HeaderEncoder;
  xroad?: XRoadHeaderBuilder;
  output: MessageDecoder;
  outputHeaders: HeaderDecoder;
  validateInput: ValidateFunction;
  validateOutput: ValidateFunction;
  /** The input can carry a document (a base64Binary value): Buffers and handles are looked for. */
  binaryInput: boolean;
  /** The output can carry a document: its decoder leaves PendingBinary placeholders (binary.ts). */
  binaryOutput: boolean;
}

export function compileOperation(
  model: ServiceModel,
  op: OperationModel,
  schemas: OperationSchemas,
  ajv: Ajv2020,
  opts: { xroad?: XRoad; authHeaders?: Record<string, string>; idempotent?: boolean },
): CompiledOperation {
  // One prefix table per operation: header and body namespaces are declared once, on the Envelope.
  const prefixes = new Prefixes();
  const headers = compileHeaderEncoder(model, op.inputHeaders, prefixes);
  const body = compileMessageEncoder(model, op.input, prefixes);
  const xroad = opts.xroad ? compileXRoadHeaders(opts.xroad, op) : undefined;
  const binaryOutput = messageHasBinary(model, op.output, 'output');
  // A schema imported before documents were carried is widened to take their handles.
  const output = binaryOutput ? withDocumentHandles(schemas.output) : schemas.output;
  return {
    name: op.name,
    model: op,
    info: {
      name: op.name,
      description: op.title ?? op.documentation,
      inputSchema: schemas.input,
      outputSchema: output,
      binding: { soapAction: op.soapAction, style: op.style, soapVersion: model.soapVersion, wrapped: op.wrapped },
      idempotent: opts.idempotent ?? false,
    },
    template: envelopeTemplate(model.soapVersion, prefixes.declarations()),
    httpHeaders: { ...soapHttpHeaders(model.soapVersion, op.soapAction), ...opts.authHeaders },
    xroadId: op.inputHeaders.some((h) => h.element.ns === 'http://x-road.eu/xsd/xroad.xsd' && h.element.name === 'id'),
    body,
    headers,
    xroad,
    output: compileMessageDecoder(model, op.output, { documents: true }),
    outputHeaders: compileHeaderDecoder(model, op.outputHeaders),
    validateInput: ajv.compile(schemas.input),
    validateOutput: ajv.compile(output),
    binaryInput: messageHasBinary(model, op.input, 'input'),
    binaryOutput,
  };
}
