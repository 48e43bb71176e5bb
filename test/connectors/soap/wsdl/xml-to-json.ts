/**
 * TEST-ONLY: decodes a SOAP envelope's Body and Header into JSON following the mapping documented
 * in connectors/soap/model.ts, directly from the model — an independent reading of the rules, so
 * the generated JSON Schemas can be checked against real messages. Not the runtime's decoder.
 */
import { childElements, parseXml, textOf, type XmlElement } from '../../../../connectors/xml/parse';
import {
  BUILTINS,
  XSI_NS,
  resolveType,
  type ElementModel,
  type OperationModel,
  type ParticleModel,
  type ServiceModel,
  type SimpleTypeModel,
  type TypeModel,
} from '../../../../connectors/soap/model';

export function envelopeOf(text: string): XmlElement {
  const m = /<([A-Za-z_][\w.-]*:)?Envelope[\s\S]*?<\/([A-Za-z_][\w.-]*:)?Envelope>/.exec(text);
  if (!m) throw new Error('no envelope in the example');
  return parseXml(m[0]);
}

function child(env: XmlElement, local: string): XmlElement | undefined {
  return childElements(env).find((c) => c.local === local);
}

export function decodeBody(model: ServiceModel, op: OperationModel, dir: 'input' | 'output', env: XmlElement): unknown {
  const body = child(env, 'Body') as XmlElement;
  const msg = op[dir];
  let holder = body;
  if (msg.rpc) holder = childElements(body)[0] as XmlElement;
  const kids = childElements(holder);
  if (msg.unwrapped) {
    const part = msg.parts[0] as { element: ElementModel };
    const el = kids.find((k) => k.local === part.element.name && k.ns === part.element.ns);
    if (!el) throw new Error(`body has no ${part.element.name}`);
    return decodeElement(model, part.element, el) ?? {};
  }
  const out: Record<string, unknown> = {};
  for (const p of msg.parts) {
    const el = kids.find((k) => k.local === p.element.name && k.ns === p.element.ns);
    if (el) out[p.element.jsonName] = decodeElement(model, p.element, el);
  }
  return out;
}

export function decodeHeaders(model: ServiceModel, op: OperationModel, dir: 'input' | 'output', env: XmlElement): Record<string, unknown> {
  const header = child(env, 'Header');
  const out: Record<string, unknown> = {};
  if (!header) return out;
  for (const h of dir === 'input' ? op.inputHeaders : op.outputHeaders) {
    const el = childElements(header).find((k) => k.local === h.element.name && k.ns === h.element.ns);
    if (el) out[h.part] = decodeElement(model, h.element, el);
  }
  return out;
}

function decodeElement(model: ServiceModel, e: ElementModel, el: XmlElement): unknown {
  if (el.attrs.some((a) => a.ns === XSI_NS && a.local === 'nil' && (a.value === 'true' || a.value === '1'))) return null;
  return decodeType(model, resolveType(model, e.type), el);
}

function elementsOf(p: ParticleModel | undefined): ElementModel[] {
  if (!p || p.kind === 'wildcard') return [];
  if (p.kind === 'element') return [p];
  return p.items.flatMap(elementsOf);
}

function decodeType(model: ServiceModel, t: TypeModel, el: XmlElement): unknown {
  if (t.kind === 'any') throw new Error('raw XML content is not decoded by this test helper');
  if (t.kind === 'simple') return scalar(t, textOf(el));
  if (t.simpleContent && !t.attributes.length) return scalar(t.simpleContent, textOf(el));
  const out: Record<string, unknown> = {};
  for (const a of t.attributes) {
    const v = el.attrs.find((x) => x.local === a.name && x.ns === a.ns);
    if (!v) continue;
    const at = resolveType(model, a.type);
    out[a.jsonName] = at.kind === 'simple' ? scalar(at, v.value) : v.value;
  }
  if (t.simpleContent) out.$value = scalar(t.simpleContent, textOf(el));
  const declared = elementsOf(t.particle);
  for (const c of childElements(el)) {
    const e = declared.find((d) => d.name === c.local && d.ns === c.ns);
    if (!e) throw new Error(`undeclared child {${c.ns}}${c.local}`);
    const v = decodeElement(model, e, c);
    if (e.array) ((out[e.jsonName] ??= []) as unknown[]).push(v);
    else out[e.jsonName] = v;
  }
  return out;
}

function scalar(t: SimpleTypeModel, text: string): unknown {
  if (t.list) return text.trim().split(/\s+/).filter(Boolean).map((x) => scalar(t.list as SimpleTypeModel, x));
  if (t.union) return text.trim();
  const info = BUILTINS[t.base] ?? { json: 'string' as const };
  switch (info.json) {
    case 'boolean':
      return text.trim() === 'true' || text.trim() === '1';
    case 'integer':
      return Number(text.trim());
    case 'number':
      return ['INF', '-INF', 'NaN'].includes(text.trim()) ? text.trim() : Number(text.trim());
    case 'string':
      return info.preserveWhitespace ? text : text.trim();
    default:
      return text.trim();
  }
}
