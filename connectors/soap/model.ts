/**
 * The compiled, transport-ready model of one WSDL 1.1 SOAP service (one service, one port,
 * one binding), produced by connectors/soap/wsdl/ and consumed by the SOAP runtime (envelope
 * serialisation and response decoding), the JSON Schema generator (connectors/soap/json-schema.ts)
 * and `wasl provider describe`. Everything the runtime needs is resolved here — namespaces,
 * element/attribute form, refs, groups, extension — so it never has to read the WSDL again.
 * A model is plain data (no cycles, no functions): it can be cached as JSON. Recursion goes
 * through named type keys (`TypeRef` strings), never through object references.
 *
 * ───────────────────────────── JSON mapping (the one contract) ─────────────────────────────
 * The SOAP runtime, the generated JSON Schemas and the generated TypeScript types all follow this.
 *
 * Messages (what `Connector.call(op, input)` takes and returns):
 *  M1. `MessageModel.unwrapped` true (document style, exactly one body part, an element whose type
 *      has element/attribute content — WS-I "wrapped" and the common bare-single-element case):
 *      the JSON is the VALUE of that element, an object (see E*). `{}` is an empty element
 *      (e.g. `<getRandom/>`). The element itself (name, ns) comes from `parts[0].element`. The
 *      root is never null: a wrapper sent with xsi:nil="true" decodes to `{}`.
 *  M2. Otherwise (several parts, a part of simple/any type, rpc style, or no parts): the JSON is an
 *      object with one property per body part, named by `parts[i].element.jsonName` (the element's
 *      local name for document style; the part name for rpc). No parts → `{}`.
 *  M3. rpc/literal: the body holds `rpc.name`/`rpc.ns` (operation name; operation name +
 *      "Response" for the output; namespace from soap:body namespace) wrapping the parts as
 *      elements named by the part name, unqualified (ns ''), of the part's type — or, for a part
 *      declared with element=, that global element (qualified). The wrapper is not in the JSON.
 *  M4. SOAP headers are NOT in the input/output JSON. `CallContext.soapHeaders` and
 *      `CallResult.soapHeaders` are objects keyed by `HeaderModel.part` (the wsdl:part name, e.g.
 *      X-Road "client", "service", "userId", "id", "issue", "protocolVersion"), each value per E*.
 *
 * Elements (E) — a child element becomes a JSON property named `ElementModel.jsonName`:
 *  E1. jsonName is the local name. If one complex type has two child elements with the same local
 *      name in different namespaces, the first (in schema order) keeps the local name and each
 *      other one is named "<prefix>:<local>", prefix being the one the schema declared for its
 *      namespace (or ns1, ns2… when none). The same name+namespace declared twice in one content
 *      model: the later one is "<local>_2", "<local>_3"… Precomputed: always use `jsonName`.
 *  E2. `array` true (maxOccurs > 1 or 'unbounded', or the element sits in a repeating group) → the
 *      value is ALWAYS a JSON array, even with one item or none (decode: absent → property absent,
 *      not []). `optional` true (minOccurs 0, or in an optional group, or a choice option) → the
 *      property may be absent. Absent → the element is not written.
 *  E3. `nillable` → the value may be null, written as the element with xsi:nil="true" and no
 *      content; an element with xsi:nil="true" decodes to null. null for a non-nillable element
 *      is invalid.
 *  E4. Element of simple type → the scalar (B*). Element of complex type → an object:
 *      attributes as "@<name>" (A*), child elements by jsonName, "$value" for simple content or
 *      mixed text, "$any" for wildcard content. A complex type with no attributes and no content
 *      → `{}`.
 *  E5. simpleContent (text + attributes) → `{ "$value": <scalar>, "@attr": … }`; "$value" is
 *      required unless the element is nillable-null (then the whole value is null). A
 *      simpleContent type that declares no attribute at all → the plain scalar, like a simple type.
 *  E6. Serialisation order is the schema order (sequence order; choice options in declaration
 *      order; `all` in declaration order), never the JSON key order. A repeating sequence
 *      (maxOccurs > 1) with array children is interleaved by index: a[0] b[0] a[1] b[1]…; a
 *      repeating choice writes each option's items in declaration order.
 *  E7. Choice → every option's properties optional, plus a JSON Schema constraint: a required
 *      non-repeating choice whose options all require something → exactly one option present
 *      (oneOf of the options' presence); otherwise at most one option present. Repeating choice →
 *      no constraint.
 *  E8. Wildcards (xsd:any) → "$any": an array of strings, each one complete element as raw XML
 *      (outer tag included), carrying xmlns declarations for every prefix it uses. Input: each
 *      string is written verbatim after the element's declared children (runtime must check it is
 *      one well-formed element). Decode: every child element not matched by a declared particle.
 *  E9. Type `AnyTypeModel` (xsd:anyType, and types/elements that could not be resolved under
 *      --allow-unresolved) → a JSON string holding the element's CONTENT as raw XML (the inner
 *      XML: escaped text and child elements, not the element's own tag; each top-level child
 *      element carries xmlns declarations for the prefixes it uses). Input: written verbatim as
 *      the element's content. Attributes of such an element are not represented.
 *  E10. Element/attribute `fixed` → JSON Schema const (still required when XSD requires it);
 *      `default` → JSON Schema default, informative only: the runtime fills nothing in on decode.
 *  E11. xsi:type (derived types in instances) is not modelled: the declared type is used.
 *
 * Attributes (A):
 *  A1. "@<local name>" (e.g. X-Road identifiers' id:objectType → "@objectType"); same-local-name
 *      clash across namespaces → "@<prefix>:<local>" as E1. `required` → required property.
 *      Qualified attributes (global ones, form="qualified", attributeFormDefault) carry `ns`;
 *      xml:lang is `{ ns: XML_NS, name: 'lang' }`, JSON "@lang".
 *
 * Builtin scalars (B) — `BUILTINS` below gives each XSD builtin's JSON kind:
 *  B1. 'string' — string, normalizedString, token, language, Name, NCName, NMTOKEN(S), ID, IDREF(S),
 *      ENTITY/ENTITIES, anySimpleType, anyURI, date, dateTime, time, duration, gYear…, base64Binary
 *      (the base64 text as written), hexBinary, NOTATION, swaRef (the "cid:…" reference) → JSON
 *      string. Documents: in the connector's output a base64Binary value (inline, an MTOM/XOP
 *      include, an SwA href) and a swaRef reference become a DocumentHandle (connectors/documents.ts)
 *      once the connector has a document sink; on input a base64Binary value may be a Buffer or a
 *      DocumentHandle (connectors/soap/binary.ts, mtom-request.ts). date/dateTime/time/duration/hexBinary carry an XSD-lexical pattern (time zone
 *      optional, as XSD allows) instead of JSON Schema formats, which would refuse valid XSD
 *      values such as a dateTime without zone.
 *      QName → string in Clark notation "{namespace}local" ("local" when no namespace); the
 *      runtime declares a prefix when writing and resolves the prefix when reading.
 *  B2. 'boolean' → JSON boolean (decode "true"/"1" → true, "false"/"0" → false).
 *  B3. 'integer' — int, short, byte, unsignedInt, unsignedShort, unsignedByte → JSON integer
 *      within the type's bounds (`min`/`max` in BUILTINS).
 *  B4. 'decimal-string' — long, integer, nonNegativeInteger, positiveInteger, nonPositiveInteger,
 *      negativeInteger, unsignedLong, decimal → JSON string with a numeric pattern (exact: money,
 *      64-bit ids). On INPUT a JSON number is also accepted (written with String(n); the runtime
 *      must refuse a non-integer or unsafe integer number for the integer types). Decode: always
 *      the string as received, whitespace-trimmed.
 *  B5. 'number' — float, double → JSON number; "INF", "-INF", "NaN" are kept as those strings.
 *  B6. 'raw' — anyType → E9.
 *  B7. Lists (`SimpleTypeModel.list`) → JSON array of the item's values (XML: space-separated).
 *      Unions (`union`) → the first member type whose lexical form accepts the text (decode),
 *      else the string; JSON Schema anyOf of the members.
 *  B8. Decode trims surrounding whitespace for every type except string and normalizedString
 *      (and types restricting them), whose text is kept byte for byte (Arabic included).
 *  B9. Enumerations → JSON Schema enum (lexical values); patterns → ECMAScript regexes,
 *      anchored (XSD patterns are implicitly anchored); length facets → minLength/maxLength (or
 *      minItems/maxItems for lists); inclusive/exclusive bounds → minimum/maximum on JSON numbers
 *      and integers only (not checked by schema on decimal strings).
 * ────────────────────────────────────────────────────────────────────────────────────────────
 */

export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const SOAP11_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_ENV_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const WSI_SWAREF_NS = 'http://ws-i.org/profiles/basic/1.1/xsd';

/** `{namespace}local` — the key of a named type in `ServiceModel.types`, or of an XSD builtin. */
export type TypeKey = string;

/** A named type (by key; builtins are `{XSD_NS}string` etc. and are NOT in `types`) or an inline one. */
export type TypeRef = TypeKey | TypeModel;

export interface ServiceModel {
  /** wsdl:service name. */
  name: string;
  /** wsdl:port name chosen (--port, else the first SOAP 1.1 port, else the only one). */
  port: string;
  /** wsdl:binding name of that port. */
  binding: string;
  /** wsdl:definitions targetNamespace. */
  targetNamespace: string;
  soapVersion: '1.1' | '1.2';
  /** soap:address / soap12:address location, as written in the contract (may be a placeholder). */
  endpoint?: string;
  operations: Record<string, OperationModel>;
  /** Named types reachable from the operations, keyed `{ns}local`. */
  types: Record<TypeKey, TypeModel>;
  documentation?: string;
  /** Non-fatal findings while compiling (unresolved schemas, fix-ups, unsupported constructs). */
  warnings: string[];
}

export interface OperationModel {
  name: string;
  style: 'document' | 'rpc';
  /**
   * WS-I document/literal wrapped: document style, the input is one element part named like the
   * operation, with element content (and so `input.unwrapped`). Informative: the JSON shape is
   * decided per message by `MessageModel.unwrapped` (M1/M2).
   */
  wrapped: boolean;
  /** soap:operation soapAction ('' when absent). SOAP 1.1: the SOAPAction header, quoted; SOAP 1.2: the action parameter of Content-Type when non-empty. */
  soapAction: string;
  input: MessageModel;
  /** For a one-way operation: a message with no parts, and `oneWay` true. */
  output: MessageModel;
  oneWay?: boolean;
  /** By wsdl:fault name: the element carried in the fault's detail. */
  faults: Record<string, ElementModel>;
  inputHeaders: HeaderModel[];
  outputHeaders: HeaderModel[];
  /** Text of wsdl:documentation (X-Road: xrd:notes). */
  documentation?: string;
  /** X-Road xrd:title of the operation, when present. */
  title?: string;
  /** X-Road xrd:version from the binding operation, when present. */
  version?: string;
  /** The binding uses MIME multipart (SwA) for this operation: parts the envelope references are read as documents; mime:content-only parts are not mapped. */
  attachments?: boolean;
}

export interface MessageModel {
  /** wsdl:message local name ('' for a one-way output). */
  message: string;
  /** The SOAP Body parts, in order (soap:body parts= or every part not bound to a header). */
  parts: BodyPart[];
  /** rpc style only: the wrapper element (M3). */
  rpc?: { name: string; ns: string };
  /** M1: the JSON is the value of `parts[0].element`; otherwise M2. */
  unwrapped: boolean;
}

export interface BodyPart {
  /** wsdl:part name. */
  part: string;
  /** The element written in the Body (document) or inside the rpc wrapper. */
  element: ElementModel;
}

export interface HeaderModel {
  /** wsdl:part name: the key in CallContext.soapHeaders (M4). */
  part: string;
  /** wsdl:message local name holding the part. */
  message: string;
  /** The header element (always a global element, so qualified). */
  element: ElementModel;
  /**
   * Whether the header must be sent/present: wsdl:required on soap:header when given; else true,
   * except X-Road's userId, issue and requestHash, which the X-Road protocol makes optional.
   */
  required: boolean;
}

export interface ElementModel {
  kind: 'element';
  /** Local name, as written in XML. */
  name: string;
  /** Namespace ('' when unqualified): form / elementFormDefault already resolved. */
  ns: string;
  /** JSON property name (E1). */
  jsonName: string;
  type: TypeRef;
  minOccurs: number;
  maxOccurs: number | 'unbounded';
  /** E2: the JSON value is an array (own maxOccurs > 1 or within a repeating group). */
  array: boolean;
  /** E2: the JSON property may be absent (own minOccurs 0, optional group, choice option). */
  optional: boolean;
  nillable: boolean;
  default?: string;
  fixed?: string;
  /** Key `{ns}local` of the global element when declared by ref= or as a part/header element. */
  ref?: string;
  documentation?: string;
  /** X-Road xrd:title. */
  title?: string;
}

export interface GroupModel {
  kind: 'sequence' | 'choice' | 'all';
  minOccurs: number;
  maxOccurs: number | 'unbounded';
  items: ParticleModel[];
}

export interface WildcardModel {
  kind: 'wildcard';
  minOccurs: number;
  maxOccurs: number | 'unbounded';
  /** xsd:any namespace attribute, as written ('##any' by default). */
  namespace: string;
  processContents: 'strict' | 'lax' | 'skip';
}

export type ParticleModel = GroupModel | ElementModel | WildcardModel;

export interface AttributeModel {
  name: string;
  ns: string;
  /** "@name" (A1). */
  jsonName: string;
  /** A simple type: a builtin/named key or an inline SimpleTypeModel (AnyTypeModel when unresolved). */
  type: TypeRef;
  required: boolean;
  default?: string;
  fixed?: string;
  documentation?: string;
}

export interface SimpleTypeModel {
  kind: 'simple';
  /** Key, when named. */
  name?: TypeKey;
  /** The nearest XSD builtin it derives from, by local name ('anySimpleType' for list/union). */
  base: string;
  enumeration?: string[];
  /** XSD regex(es) as written; several patterns from a derivation chain must ALL match. */
  pattern?: string[];
  length?: number;
  minLength?: number;
  maxLength?: number;
  minInclusive?: string;
  maxInclusive?: string;
  minExclusive?: string;
  maxExclusive?: string;
  totalDigits?: number;
  fractionDigits?: number;
  /** xsd:list: the item type. */
  list?: SimpleTypeModel;
  /** xsd:union: the member types, in order. */
  union?: SimpleTypeModel[];
  documentation?: string;
  title?: string;
}

export interface ComplexTypeModel {
  kind: 'complex';
  /** Key, when named. */
  name?: TypeKey;
  /** Element content; absent for empty content and simple content. Extension is flattened: a
   * sequence of the base content then the extension content. */
  particle?: ParticleModel;
  /** Own, inherited (extension, restriction not prohibiting) and attributeGroup attributes. */
  attributes: AttributeModel[];
  /** simpleContent: the text value's type (E5). */
  simpleContent?: SimpleTypeModel;
  mixed?: boolean;
  anyAttribute?: boolean;
  abstract?: boolean;
  /** Key of the base type (complexContent/simpleContent extension or restriction), informative. */
  base?: TypeKey;
  documentation?: string;
  title?: string;
}

export interface AnyTypeModel {
  kind: 'any';
  /** Key of the type or element that could not be resolved (--allow-unresolved), when that is why. */
  unresolved?: string;
}

export type TypeModel = SimpleTypeModel | ComplexTypeModel | AnyTypeModel;

export type BuiltinJsonKind = 'string' | 'boolean' | 'integer' | 'decimal-string' | 'number' | 'raw';

export interface BuiltinInfo {
  json: BuiltinJsonKind;
  /** For 'integer' and 'decimal-string': bounds as decimal strings (inclusive). */
  min?: string;
  max?: string;
  /** ECMAScript pattern (anchored) of the lexical form, when one is checked. */
  pattern?: string;
  /** Whitespace kept on decode (B8). */
  preserveWhitespace?: boolean;
}

const INT_PATTERN = '^[+-]?[0-9]+$';
const DATE_TZ = '(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])?';
const S: BuiltinInfo = { json: 'string' };
const DURATION_SECONDS = '[0-9]+(\\.[0-9]+)?S';
const DURATION_DATE = '[0-9]+Y([0-9]+M)?([0-9]+D)?|[0-9]+M([0-9]+D)?|[0-9]+D';
const DURATION_TIME = `T([0-9]+H([0-9]+M)?(${DURATION_SECONDS})?|[0-9]+M(${DURATION_SECONDS})?|${DURATION_SECONDS})`;

/** Every XSD builtin by local name, with its JSON mapping (B1–B6). */
export const BUILTINS: Readonly<Record<string, BuiltinInfo>> = {
  string: { json: 'string', preserveWhitespace: true },
  normalizedString: { json: 'string', preserveWhitespace: true },
  token: S, language: S, Name: S, NCName: S, NMTOKEN: S, NMTOKENS: S, ID: S, IDREF: S, IDREFS: S,
  ENTITY: S, ENTITIES: S, NOTATION: S, QName: S, anySimpleType: S, anyURI: S, base64Binary: S,
  gYear: S, gYearMonth: S, gMonth: S, gMonthDay: S, gDay: S,
  hexBinary: { json: 'string', pattern: '^([0-9a-fA-F]{2})*$' },
  date: { json: 'string', pattern: `^-?[0-9]{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])${DATE_TZ}$` },
  dateTime: {
    json: 'string',
    pattern: `^-?[0-9]{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?|24:00:00(\\.0+)?)${DATE_TZ}$`,
  },
  time: { json: 'string', pattern: `^(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?|24:00:00(\\.0+)?)${DATE_TZ}$` },
  // At least one part, and T only before a time part, spelt out: the linear engine that checks
  // contract schemas has no lookahead to say it shorter.
  duration: { json: 'string', pattern: `^-?P((${DURATION_DATE})(${DURATION_TIME})?|${DURATION_TIME})$` },
  boolean: { json: 'boolean' },
  int: { json: 'integer', min: '-2147483648', max: '2147483647' },
  short: { json: 'integer', min: '-32768', max: '32767' },
  byte: { json: 'integer', min: '-128', max: '127' },
  unsignedInt: { json: 'integer', min: '0', max: '4294967295' },
  unsignedShort: { json: 'integer', min: '0', max: '65535' },
  unsignedByte: { json: 'integer', min: '0', max: '255' },
  long: { json: 'decimal-string', pattern: INT_PATTERN, min: '-9223372036854775808', max: '9223372036854775807' },
  integer: { json: 'decimal-string', pattern: INT_PATTERN },
  nonNegativeInteger: { json: 'decimal-string', pattern: '^(\\+?[0-9]+|-0+)$', min: '0' },
  positiveInteger: { json: 'decimal-string', pattern: '^\\+?0*[1-9][0-9]*$', min: '1' },
  nonPositiveInteger: { json: 'decimal-string', pattern: '^(-[0-9]+|\\+?0+)$', max: '0' },
  negativeInteger: { json: 'decimal-string', pattern: '^-0*[1-9][0-9]*$', max: '-1' },
  unsignedLong: { json: 'decimal-string', pattern: '^(\\+?[0-9]+|-0+)$', min: '0', max: '18446744073709551615' },
  decimal: { json: 'decimal-string', pattern: '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$' },
  float: { json: 'number' },
  double: { json: 'number' },
  anyType: { json: 'raw' },
};

export function typeKey(ns: string, local: string): TypeKey {
  return `{${ns}}${local}`;
}

export function splitKey(key: TypeKey): { ns: string; local: string } {
  const close = key.indexOf('}');
  if (!key.startsWith('{') || close < 0) return { ns: '', local: key };
  return { ns: key.slice(1, close), local: key.slice(close + 1) };
}

/** The builtin's local name when `ref` names an XSD builtin, else undefined. */
export function builtinName(ref: TypeRef): string | undefined {
  if (typeof ref !== 'string') return undefined;
  const { ns, local } = splitKey(ref);
  return ns === XSD_NS && local in BUILTINS ? local : undefined;
}

/** Resolves a TypeRef to its model: builtins become SimpleTypeModel (anyType → AnyTypeModel). */
export function resolveType(model: Pick<ServiceModel, 'types'>, ref: TypeRef): TypeModel {
  if (typeof ref !== 'string') return ref;
  const b = builtinName(ref);
  if (b) return b === 'anyType' ? { kind: 'any' } : { kind: 'simple', base: b };
  const t = model.types[ref];
  if (!t) return { kind: 'any', unresolved: ref };
  return t;
}

/** The JSON kind of a simple type through its nearest builtin; for a list, of its items (B7). */
export function jsonKindOf(t: SimpleTypeModel): BuiltinJsonKind {
  if (t.list) return jsonKindOf(t.list);
  return BUILTINS[t.base]?.json ?? 'string';
}

/** Whether an element of this type has a JSON object as its value (E4/E5) — so M1 applies. */
export function jsonIsObject(t: TypeModel): boolean {
  return t.kind === 'complex' && !(t.simpleContent && t.attributes.length === 0);
}

/** Whether `max` allows more than one occurrence. */
export function isRepeated(max: number | 'unbounded'): boolean {
  return max === 'unbounded' || max > 1;
}

// MODEL-READY
