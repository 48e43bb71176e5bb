/**
 * WSDL 1.1 definitions → ServiceModel: messages, portTypes, bindings (SOAP 1.1 and 1.2, style per
 * binding and per operation, literal only), soap:header and soap:fault, MIME multipart bindings
 * (SwA: noted; the connector reads
 * the parts the envelope references, connectors/soap/response-parts.ts), services and ports (chosen by name, else the first
 * SOAP 1.1 port, else the first SOAP 1.2 one).
 */
import type { XmlElement } from '../../xml/parse';
import {
  jsonIsObject,
  typeKey,
  type BodyPart,
  type ElementModel,
  type HeaderModel,
  type MessageModel,
  type OperationModel,
  type ServiceModel,
} from '../model';
import { WsdlError } from './errors';
import { type DocumentSet, WSDL_NS, type LoadedDoc } from './load';
import { annotationOf } from './annotation';
import type { TypeCompiler } from './xsd';
import { attr, elems, firstNs, textContent } from './xml-util';

export const SOAP11_BINDING_NS = 'http://schemas.xmlsoap.org/wsdl/soap/';
export const SOAP12_BINDING_NS = 'http://schemas.xmlsoap.org/wsdl/soap12/';
export const MIME_NS = 'http://schemas.xmlsoap.org/wsdl/mime/';
const SOAP_NS = [SOAP11_BINDING_NS, SOAP12_BINDING_NS];
/** X-Road message protocol 4.0: these headers may be left out (the others are required). */
const XROAD_NS = 'http://x-road.eu/xsd/xroad.xsd';
const XROAD_OPTIONAL = new Set(['userId', 'issue', 'requestHash']);

export interface SelectOptions {
  /** wsdl:service name. */
  service?: string;
  /** wsdl:port name. */
  port?: string;
}

interface Def {
  el: XmlElement;
  doc: LoadedDoc;
  tns: string;
}

type DefKind = 'message' | 'portType' | 'binding' | 'service';

class Definitions {
  readonly maps: Record<DefKind, Map<string, Def>> = { message: new Map(), portType: new Map(), binding: new Map(), service: new Map() };
  readonly services: Def[] = [];

  constructor(docs: DocumentSet) {
    for (const doc of docs.docs) {
      if (doc.kind !== 'wsdl') continue;
      const tns = attr(doc.root, 'targetNamespace') ?? '';
      for (const c of elems(doc.root)) {
        if (c.ns !== WSDL_NS || !(c.local in this.maps)) continue;
        const name = attr(c, 'name');
        if (!name) continue;
        const def = { el: c, doc, tns };
        const map = this.maps[c.local as DefKind];
        if (!map.has(typeKey(tns, name))) map.set(typeKey(tns, name), def);
        if (c.local === 'service') this.services.push(def);
      }
    }
  }

  get(kind: DefKind, from: Def, qname: string, warnings: string[]): Def {
    const q = from.doc.scopes.resolve(from.el, qname);
    const key = q ? typeKey(q.ns, q.local) : qname;
    const exact = this.maps[kind].get(key);
    if (exact) return exact;
    // Real contracts misspell the case of a name (X-Road's example adapter: requestHeader vs
    // requestheader); a unique case-insensitive match is taken, with a warning.
    const loose = [...this.maps[kind].entries()].filter(([k]) => k.toLowerCase() === key.toLowerCase());
    if (loose.length === 1) {
      const [k, def] = loose[0] as [string, Def];
      const msg = `wsdl:${kind} "${qname}" is not defined; using "${k.slice(k.indexOf('}') + 1)}", which differs only in case`;
      if (!warnings.includes(msg)) warnings.push(msg);
      return def;
    }
    throw new WsdlError('wsdl-invalid', `wsdl:${kind} "${qname}" is not defined in the contract`);
  }
}

function soapChild(el: XmlElement, local: string): XmlElement | undefined {
  for (const ns of SOAP_NS) {
    const c = firstNs(el, ns, local);
    if (c) return c;
  }
  return undefined;
}

/** soap:body and soap:header of a binding input/output, also inside mime:multipartRelated/mime:part. */
function bindingMessage(el: XmlElement): { body?: XmlElement; headers: XmlElement[]; mime: boolean } {
  const out: { body?: XmlElement; headers: XmlElement[]; mime: boolean } = { headers: [], mime: false };
  const visit = (e: XmlElement) => {
    for (const c of elems(e)) {
      if (SOAP_NS.includes(c.ns) && c.local === 'body') out.body = out.body ?? c;
      else if (SOAP_NS.includes(c.ns) && c.local === 'header') out.headers.push(c);
      else if (c.ns === MIME_NS && (c.local === 'multipartRelated' || c.local === 'part')) {
        out.mime = true;
        visit(c);
      }
    }
  };
  visit(el);
  return out;
}

function operationDocs(op: XmlElement): { documentation?: string; title?: string } {
  const d = firstNs(op, WSDL_NS, 'documentation');
  if (!d) return {};
  const out: { documentation?: string; title?: string } = {};
  const title = elems(d).find((c) => c.local === 'title');
  const notes = elems(d).filter((c) => c.local === 'notes');
  if (title) out.title = textContent(title);
  const text = notes.length ? notes.map(textContent).join('\n') : d.children.filter((c): c is string => typeof c === 'string').join(' ').replace(/\s+/g, ' ').trim();
  if (text) out.documentation = text;
  return out;
}

export class ServiceBuilder {
  readonly warnings: string[] = [];
  private readonly defs: Definitions;

  constructor(
    private readonly docs: DocumentSet,
    private readonly types: TypeCompiler,
  ) {
    this.defs = new Definitions(docs);
  }

  build(select: SelectOptions): ServiceModel {
    const { service, port, binding, version } = this.choosePort(select);
    const bindingStyle = attr(soapChild(binding.el, 'binding') as XmlElement, 'style') === 'rpc' ? 'rpc' : 'document';
    const portType = this.defs.get('portType', binding, attr(binding.el, 'type') ?? '', this.warnings);
    const operations: Record<string, OperationModel> = {};
    for (const bop of elems(binding.el)) {
      if (bop.ns !== WSDL_NS || bop.local !== 'operation') continue;
      const op = this.operation(bop, binding, portType, bindingStyle);
      if (operations[op.name]) {
        this.warnings.push(`operation ${op.name} is overloaded; only its first binding is used`);
        continue;
      }
      operations[op.name] = op;
    }
    this.types.drain();
    const address = port ? elems(port.el).find((c) => SOAP_NS.includes(c.ns) && c.local === 'address') : undefined;
    const model: ServiceModel = {
      name: service ? (attr(service.el, 'name') ?? '') : (attr(this.docs.main.root, 'name') ?? attr(binding.el, 'name') ?? 'service'),
      port: port ? (attr(port.el, 'name') ?? '') : (attr(binding.el, 'name') ?? ''),
      binding: attr(binding.el, 'name') ?? '',
      targetNamespace: attr(this.docs.main.root, 'targetNamespace') ?? '',
      soapVersion: version,
      operations,
      types: this.types.types,
      warnings: [],
    };
    const location = address && attr(address, 'location');
    if (location) model.endpoint = location;
    const doc = firstNs(this.docs.main.root, WSDL_NS, 'documentation');
    if (doc && textContent(doc)) model.documentation = textContent(doc);
    return model;
  }

  private choosePort(select: SelectOptions): { service?: Def; port?: Def; binding: Def; version: '1.1' | '1.2' } {
    const candidates: Array<{ service: Def; port: Def; binding: Def; version: '1.1' | '1.2' }> = [];
    const services = select.service ? this.defs.services.filter((s) => attr(s.el, 'name') === select.service) : this.defs.services;
    if (select.service && !services.length) {
      throw new WsdlError('wsdl-select', `the contract has no service "${select.service}"; services: ${this.defs.services.map((s) => attr(s.el, 'name')).join(', ') || 'none'}`);
    }
    for (const service of services) {
      for (const p of elems(service.el)) {
        if (p.ns !== WSDL_NS || p.local !== 'port') continue;
        const port: Def = { ...service, el: p };
        const binding = this.defs.get('binding', port, attr(p, 'binding') ?? '', this.warnings);
        const sb = soapChild(binding.el, 'binding');
        if (!sb) continue; // HTTP or other non-SOAP binding
        candidates.push({ service, port, binding, version: sb.ns === SOAP12_BINDING_NS ? '1.2' : '1.1' });
      }
    }
    if (select.port) {
      const found = candidates.find((c) => attr(c.port.el, 'name') === select.port);
      if (!found) {
        throw new WsdlError('wsdl-select', `no SOAP port "${select.port}"; SOAP ports: ${candidates.map((c) => `${attr(c.service.el, 'name')}/${attr(c.port.el, 'name')} (SOAP ${c.version})`).join(', ') || 'none'}`);
      }
      return found;
    }
    const chosen = candidates.find((c) => c.version === '1.1') ?? candidates[0];
    if (chosen) return chosen;
    // No service element: an abstract contract; take its first SOAP binding, without an endpoint.
    for (const binding of this.defs.maps.binding.values()) {
      const sb = soapChild(binding.el, 'binding');
      if (sb) {
        this.warnings.push('the contract has no wsdl:service with a SOAP port: using its first SOAP binding, without an endpoint');
        return { binding, version: sb.ns === SOAP12_BINDING_NS ? '1.2' : '1.1' };
      }
    }
    throw new WsdlError('wsdl-select', 'the contract has no SOAP binding (soap:binding or soap12:binding)');
  }

  private operation(bop: XmlElement, binding: Def, portType: Def, bindingStyle: 'document' | 'rpc'): OperationModel {
    const name = attr(bop, 'name') ?? '';
    const pop = elems(portType.el).find((c) => c.ns === WSDL_NS && c.local === 'operation' && attr(c, 'name') === name);
    if (!pop) throw new WsdlError('wsdl-invalid', `binding operation ${name} has no operation in portType ${attr(portType.el, 'name')}`);
    const soapOp = soapChild(bop, 'operation');
    const style = soapOp && attr(soapOp, 'style') ? (attr(soapOp, 'style') === 'rpc' ? 'rpc' : 'document') : bindingStyle;
    const pIn = firstNs(pop, WSDL_NS, 'input');
    const pOut = firstNs(pop, WSDL_NS, 'output');
    const bIn = firstNs(bop, WSDL_NS, 'input');
    const bOut = firstNs(bop, WSDL_NS, 'output');
    const inputHeaders: HeaderModel[] = [];
    const outputHeaders: HeaderModel[] = [];
    let attachments = false;
    const message = (p: XmlElement | undefined, b: XmlElement | undefined, dir: 'input' | 'output', headers: HeaderModel[]): MessageModel => {
      if (!p) return { message: '', parts: [], unwrapped: false };
      const msg = this.defs.get('message', { ...portType, el: p }, attr(p, 'message') ?? '', this.warnings);
      const bm = b ? bindingMessage(b) : { headers: [], mime: false };
      if (bm.mime) attachments = true;
      for (const h of [bm.body, ...bm.headers]) {
        if (h && attr(h, 'use') === 'encoded') {
          throw new WsdlError('wsdl-unsupported', `operation ${name} uses SOAP encoding (use="encoded" on its ${dir}); wasl supports literal use only`);
        }
      }
      for (const h of bm.headers) headers.push(this.header(h, { ...binding, el: h }, name));
      return this.body(msg, bm.body, style, name, dir, new Set(bm.headers.filter((h) => this.sameMessage(h, binding, msg)).map((h) => attr(h, 'part') ?? '')));
    };
    const input = message(pIn, bIn, 'input', inputHeaders);
    const output = message(pOut, bOut, 'output', outputHeaders);
    const faults: Record<string, ElementModel> = {};
    for (const f of elems(pop)) {
      if (f.ns !== WSDL_NS || f.local !== 'fault') continue;
      const fname = attr(f, 'name') ?? '';
      const msg = this.defs.get('message', { ...portType, el: f }, attr(f, 'message') ?? '', this.warnings);
      const part = elems(msg.el).find((c) => c.ns === WSDL_NS && c.local === 'part');
      if (part) faults[fname] = this.partElement(part, msg, 'document', `fault ${fname} of ${name}`);
    }
    const op: OperationModel = {
      name,
      style,
      wrapped: false,
      soapAction: (soapOp && attr(soapOp, 'soapAction')) ?? '',
      input,
      output,
      faults,
      inputHeaders,
      outputHeaders,
    };
    op.wrapped = style === 'document' && input.unwrapped && input.parts[0]?.element.name === name;
    if (!pOut) op.oneWay = true;
    const docs = operationDocs(pop);
    if (docs.documentation) op.documentation = docs.documentation;
    if (docs.title) op.title = docs.title;
    const version = elems(bop).find((c) => c.local === 'version' && c.ns !== WSDL_NS && !SOAP_NS.includes(c.ns));
    if (version && textContent(version)) op.version = textContent(version);
    if (attachments) {
      op.attachments = true;
      this.warnings.push(`operation ${name}: the binding declares MIME attachments (SOAP with Attachments), parts the envelope references (XOP includes, href attributes, swaRef values) are read as documents; parts bound by mime:content alone are not mapped, and requests carry no SwA parts (MTOM, with soap.mtom, is what wasl sends)`);
    }
    return op;
  }

  private sameMessage(header: XmlElement, binding: Def, msg: Def): boolean {
    const q = binding.doc.scopes.resolve(header, attr(header, 'message') ?? '');
    return !!q && q.ns === msg.tns && q.local === attr(msg.el, 'name');
  }

  private body(msg: Def, body: XmlElement | undefined, style: 'document' | 'rpc', opName: string, dir: 'input' | 'output', headerParts: Set<string>): MessageModel {
    const partEls = elems(msg.el).filter((c) => c.ns === WSDL_NS && c.local === 'part');
    const listed = body && attr(body, 'parts') !== undefined ? (attr(body, 'parts') as string).split(/\s+/).filter(Boolean) : undefined;
    const chosen = listed ? partEls.filter((p) => listed.includes(attr(p, 'name') ?? '')) : partEls.filter((p) => !headerParts.has(attr(p, 'name') ?? ''));
    const parts: BodyPart[] = chosen.map((p) => ({
      part: attr(p, 'name') ?? '',
      element: this.partElement(p, msg, style, `${dir} of ${opName}`),
    }));
    const out: MessageModel = { message: attr(msg.el, 'name') ?? '', parts, unwrapped: false };
    if (style === 'rpc') {
      let ns = body ? attr(body, 'namespace') : undefined;
      if (!ns) {
        ns = attr(this.docs.main.root, 'targetNamespace') ?? '';
        this.warnings.push(`rpc operation ${opName}: soap:body of its ${dir} has no namespace; using the definitions' targetNamespace`);
      }
      out.rpc = { name: dir === 'input' ? opName : `${opName}Response`, ns };
      return out;
    }
    // Document style: JSON names of several parts must differ (M2).
    const seen = new Set<string>();
    for (const p of parts) {
      if (seen.has(p.element.jsonName)) p.element.jsonName = p.part;
      seen.add(p.element.jsonName);
    }
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only && jsonIsObject(this.types.ensure(only.element.type))) out.unwrapped = true;
    return out;
  }

  private partElement(part: XmlElement, msg: Def, style: 'document' | 'rpc', from: string): ElementModel {
    const pname = attr(part, 'name') ?? '';
    const element = attr(part, 'element');
    const scopeDef = { ...msg, el: part };
    if (element) {
      const q = msg.doc.scopes.resolve(part, element);
      if (!q) throw new WsdlError('wsdl-invalid', `part ${pname} of message ${attr(msg.el, 'name')}: undeclared prefix in "${element}"`);
      return this.types.partElement(typeKey(q.ns, q.local), `part ${pname} (${from})`);
    }
    const type = attr(part, 'type');
    if (!type) throw new WsdlError('wsdl-invalid', `part ${pname} of message ${attr(msg.el, 'name')} has neither element nor type`);
    const q = scopeDef.doc.scopes.resolve(part, type);
    if (!q) throw new WsdlError('wsdl-invalid', `part ${pname} of message ${attr(msg.el, 'name')}: undeclared prefix in "${type}"`);
    if (style === 'document') this.warnings.push(`document-style part ${pname} of message ${attr(msg.el, 'name')} is declared by type, not element: written as an unqualified <${pname}>`);
    const out: ElementModel = {
      kind: 'element',
      name: pname,
      ns: '',
      jsonName: pname,
      type: this.types.typeRef(typeKey(q.ns, q.local), `part ${pname} (${from})`),
      minOccurs: 1,
      maxOccurs: 1,
      array: false,
      optional: false,
      nillable: false,
    };
    const note = annotationOf(part);
    if (note.documentation) out.documentation = note.documentation;
    return out;
  }

  private header(h: XmlElement, at: Def, opName: string): HeaderModel {
    const msg = this.defs.get('message', at, attr(h, 'message') ?? '', this.warnings);
    const partName = attr(h, 'part') ?? '';
    const part = elems(msg.el).find((c) => c.ns === WSDL_NS && c.local === 'part' && attr(c, 'name') === partName);
    if (!part) throw new WsdlError('wsdl-invalid', `soap:header of ${opName} names part "${partName}", which message ${attr(msg.el, 'name')} does not have`);
    const required = h.attrs.find((a) => a.ns === WSDL_NS && a.local === 'required')?.value;
    const element = this.partElement(part, msg, 'document', `header of ${opName}`);
    return {
      part: partName,
      message: attr(msg.el, 'name') ?? '',
      element,
      required: required !== undefined ? required === 'true' : !(element.ns === XROAD_NS && XROAD_OPTIONAL.has(element.name)),
    };
  }
}
