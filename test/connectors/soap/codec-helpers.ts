/** Compiles one operation's encoders and decoders outside a connector, for codec tests. */
import { compileHeaderDecoder, compileMessageDecoder } from '../../../connectors/soap/decode';
import { compileHeaderEncoder, compileMessageEncoder, Prefixes } from '../../../connectors/soap/encode';
import { buildEnvelope, envelopeTemplate, splitEnvelope } from '../../../connectors/soap/envelope';
import type { ServiceModel } from '../../../connectors/soap/model';
import { compileWsdlFile } from '../../../connectors/soap/wsdl/compile';
import { parseXml, type XmlElement, type XmlNode } from '../../../connectors/xml/parse';

export { CORPUS } from '../../corpus';
export const FIXTURES = `${__dirname}/../../fixtures`;

export function model(file: string, port?: string): ServiceModel {
  return compileWsdlFile(file, port ? { port } : {}).model;
}

export interface Codec {
  envelope(input: unknown, headers?: Record<string, unknown>): string;
  decode(xml: string | Buffer): { output: unknown; headers?: Record<string, unknown> };
}

export function codec(m: ServiceModel, op: string): Codec {
  const o = m.operations[op]!;
  const px = new Prefixes();
  const he = compileHeaderEncoder(m, o.inputHeaders, px);
  const be = compileMessageEncoder(m, o.input, px);
  const t = envelopeTemplate(m.soapVersion, px.declarations());
  const bd = compileMessageDecoder(m, o.output);
  const hd = compileHeaderDecoder(m, o.outputHeaders);
  return {
    envelope: (input, headers = {}) => buildEnvelope(t, he.headers(headers), be.body(input)),
    decode: (xml) => {
      const root = parseXml(xml);
      const e = splitEnvelope(root);
      return { output: bd.body(e.parts, [root, e.body]), headers: hd.headers(e.header, [root]) };
    },
  };
}

/** An envelope in the given SOAP version around a body (and header) written by hand. */
export function env(body: string, header = '', version: '1.1' | '1.2' = '1.1'): string {
  const ns = version === '1.1' ? 'http://schemas.xmlsoap.org/soap/envelope/' : 'http://www.w3.org/2003/05/soap-envelope';
  return `<?xml version="1.0"?><S:Envelope xmlns:S="${ns}">${header ? `<S:Header>${header}</S:Header>` : ''}<S:Body>${body}</S:Body></S:Envelope>`;
}

/**
 * The structure of an XML document, for comparing envelopes written with different prefixes and
 * whitespace: elements as {ns}local with their attributes (namespaced, prefixes ignored) and
 * non-blank text, children in order.
 */
export interface Shape {
  name: string;
  attrs: Record<string, string>;
  text?: string;
  children: Shape[];
}

export function shape(node: XmlElement | string | Buffer, opts: { ignoreText?: (name: string) => boolean } = {}): Shape {
  const el = typeof node === 'string' || Buffer.isBuffer(node) ? parseXml(node) : node;
  const name = `{${el.ns}}${el.local}`;
  const attrs: Record<string, string> = {};
  for (const a of el.attrs) attrs[`{${a.ns}}${a.local}`] = a.value;
  const kids = el.children.filter((c: XmlNode): c is XmlElement => typeof c !== 'string');
  const text = el.children.filter((c): c is string => typeof c === 'string').join('').trim();
  const out: Shape = { name, attrs, children: kids.map((k) => shape(k, opts)) };
  if (text && !opts.ignoreText?.(name)) out.text = text;
  return out;
}
