/**
 * The mappings `wasl service new` proposes: each member of the operation's input matched to what
 * the order holds (by name, after known synonyms — an `ssn`, `nationalId` or `personalCode` is the
 * applicant's national number), the members nothing in the order holds asked of the citizen as
 * the service's own fields, and the answer's reference (and its issue date) taken into the
 * order's results. Every proposal is a guess: it is written into the JSONata expression with a
 * `wasl:proposed` mark saying why, and a service whose flow still holds a mark is not certified
 * (runner.ts) until someone has read it and deleted the mark.
 */
import type { ServiceDefinition } from '../../contracts/types';

type Schema = Record<string, unknown>;

/** The mark every proposal carries in the expression; `unreviewedProposals` looks for it. */
export const PROPOSED = 'wasl:proposed';

export interface Proposal {
  /** The operation's member, as a path (`person.ssn`). */
  member: string;
  /** What it is taken from: a JSONata expression over the order (`payload.applicant.nationalNumber`). */
  from: string;
  why: string;
}

export interface InputProposal {
  expression: string;
  proposals: Proposal[];
  /** The service's own fields for the members the order does not hold (its `fields` schema). */
  fields: { properties: Record<string, Schema>; required: string[] };
}

export interface OutputProposal {
  expression: string;
  proposals: Proposal[];
  /** The result data proposed (service.json `result.schema`) when the answer is a check rather than a document. */
  result?: Record<string, unknown>;
}

/** At most this many members of an answer are proposed as result data. */
const MAX_RESULT_MEMBERS = 16;

/** What the order holds, by the names operations give it. Names are compared lower-case without separators. */
const ORDER_SOURCES: Array<{ from: string; what: string; names: string[]; type: 'string' | 'date' | 'language' }> = [
  {
    from: 'payload.applicant.nationalNumber',
    what: 'the applicant\'s national number',
    names: ['nationalnumber', 'nationalno', 'nationalid', 'nationalidnumber', 'nationalcode', 'nin', 'nid', 'ssn', 'socialsecuritynumber', 'personalnumber', 'personalid', 'personalcode', 'personcode', 'personalidentitynumber', 'idnumber', 'idno', 'idcode', 'citizenid', 'citizennumber', 'identitynumber', 'identityno', 'civilid', 'civilnumber', 'isikukood', 'raqmwatani'],
    type: 'string',
  },
  { from: 'payload.applicant.fullName.ar', what: 'the applicant\'s full name in Arabic', names: ['name', 'fullname', 'fullnamear', 'namear', 'arabicname', 'personname', 'holdername', 'studentname', 'citizenname'], type: 'string' },
  { from: 'payload.applicant.fullName.latin', what: 'the applicant\'s name in Latin letters', names: ['latinname', 'namelatin', 'nameen', 'fullnameen', 'englishname', 'fullnamelatin'], type: 'string' },
  { from: '$split(payload.applicant.fullName.ar, " ")[0]', what: 'the first word of the applicant\'s Arabic name', names: ['firstname', 'givenname', 'forename'], type: 'string' },
  { from: '$split(payload.applicant.fullName.ar, " ")[-1]', what: 'the last word of the applicant\'s Arabic name', names: ['lastname', 'surname', 'familyname'], type: 'string' },
  { from: 'payload.applicant.fatherName', what: 'the applicant\'s father\'s name', names: ['fathername', 'fathersname', 'father'], type: 'string' },
  { from: 'payload.applicant.motherName', what: 'the applicant\'s mother\'s name', names: ['mothername', 'mothersname', 'mother'], type: 'string' },
  { from: 'payload.applicant.birthDate', what: 'the applicant\'s date of birth', names: ['birthdate', 'dateofbirth', 'dob', 'birthday', 'borndate', 'birthdt'], type: 'date' },
  { from: 'payload.applicant.phone', what: 'the applicant\'s phone', names: ['phone', 'phonenumber', 'mobile', 'mobilenumber', 'msisdn', 'telephone', 'tel'], type: 'string' },
  { from: 'payload.applicant.email', what: 'the applicant\'s e-mail', names: ['email', 'emailaddress', 'mail'], type: 'string' },
  { from: 'payload.id', what: 'the order\'s id (unique per request)', names: ['requestid', 'orderid', 'transactionid', 'correlationid', 'clientreference', 'externalreference', 'requestreference'], type: 'string' },
  { from: 'payload.language', what: 'the language the citizen chose', names: ['language', 'lang', 'locale'], type: 'language' },
];

/** Words a contract puts before a person's data that say nothing more: `applicantName` is a name. */
const PERSON_PREFIXES = ['applicant', 'citizen', 'person', 'requester', 'requestor', 'subject', 'holder', 'customer', 'client', 'individual'];

const normal = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The schema with its $ref and allOf resolved against the root (the operation's schema and its $defs), to `depth`. */
export function inline(root: Schema, s: Schema, depth = 0): Schema {
  if (depth > 12) return {};
  let out: Schema = s;
  for (let guard = 0; typeof out.$ref === 'string' && guard < 16; guard++) {
    const ref = out.$ref as string;
    const rest = Object.fromEntries(Object.entries(out).filter(([k]) => k !== '$ref'));
    out = { ...resolveRef(root, ref), ...rest };
  }
  if (Array.isArray(out.allOf)) {
    const merged: Schema = Object.fromEntries(Object.entries(out).filter(([k]) => k !== 'allOf'));
    for (const part of out.allOf as Schema[]) {
      const p = inline(root, part, depth + 1);
      for (const [k, v] of Object.entries(p)) {
        if (k === 'properties') merged.properties = { ...(merged.properties as Schema), ...(v as Schema) };
        else if (k === 'required') merged.required = [...new Set([...((merged.required as string[]) ?? []), ...(v as string[])])];
        else if (!(k in merged)) merged[k] = v;
      }
    }
    out = merged;
  }
  const copy: Schema = {};
  for (const [k, v] of Object.entries(out)) {
    if (k === '$defs' || k === '$schema' || k === 'title') continue;
    if (k === 'properties' && v && typeof v === 'object') copy[k] = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([n, ps]) => [n, inline(root, ps, depth + 1)]));
    else if (k === 'items' && v && typeof v === 'object' && !Array.isArray(v)) copy[k] = inline(root, v as Schema, depth + 1);
    else if ((k === 'oneOf' || k === 'anyOf') && Array.isArray(v)) copy[k] = (v as Schema[]).map((b) => inline(root, b, depth + 1));
    else copy[k] = v;
  }
  return copy;
}

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) return {};
  let cur: unknown = root;
  for (const raw of ref.slice(2).split('/')) cur = (cur as Schema | undefined)?.[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  return cur && typeof cur === 'object' ? (cur as Schema) : {};
}

const typeOf = (s: Schema): string | undefined => (Array.isArray(s.type) ? (s.type as string[]).find((t) => t !== 'null') : (s.type as string | undefined)) ?? (s.properties ? 'object' : undefined);
const isObject = (s: Schema) => typeOf(s) === 'object' && !!s.properties && Object.keys(s.properties as object).length > 0;

/** The order's source for a member of this name and schema, if one fits. */
function orderSourceOf(name: string, s: Schema): { from: string; why: string } | undefined {
  const n = normal(name);
  const candidates = [n, ...PERSON_PREFIXES.filter((p) => n.startsWith(p) && n.length > p.length).map((p) => n.slice(p.length))];
  for (const src of ORDER_SOURCES) {
    const hit = candidates.find((c) => src.names.includes(c));
    if (!hit) continue;
    const type = typeOf(s);
    const enumValues = Array.isArray(s.enum) ? (s.enum as unknown[]) : undefined;
    if (src.type === 'language') {
      if (!enumValues || !enumValues.includes('ar')) continue;
      return { from: enumValues.includes('en') ? src.from : '"ar"', why: `${name} is ${src.what}` };
    }
    if (enumValues) continue;
    if (type === 'integer' || type === 'number') {
      // A national number kept as a number by the contract: leading zeros are the contract's loss, not ours to hide.
      if (src.from !== 'payload.applicant.nationalNumber') continue;
      return { from: `$number(${src.from})`, why: `${name} is ${src.what} (as a number, the contract's type)` };
    }
    if (type !== undefined && type !== 'string') continue;
    if (src.type === 'date' && s.format === 'date-time') return { from: `${src.from} & "T00:00:00Z"`, why: `${name} is ${src.what} (as a date-time)` };
    const via = hit === n ? '' : ` (read past the word ${n.slice(0, n.length - hit.length)})`;
    return { from: src.from, why: `${name} is ${src.what}${via}` };
  }
  return undefined;
}

/** A name a service field may take (the order's fields are plain JSON members). */
const fieldName = (path: string[]) => {
  const raw = path[path.length - 1]!;
  const clean = raw.replace(/[^A-Za-z0-9_]/g, '');
  return /^[A-Za-z]/.test(clean) ? clean : `field${clean}`;
};

/** Members the connector fills itself: never mapped. */
const CONNECTOR_MEMBERS = new Set(['idempotencykey']);

const comment = (why: string) => `/* ${PROPOSED}: ${why.replace(/\*\//g, '* /')} */`;

/**
 * The input mapping: every member of the operation's input (required or not when the order holds
 * it; required ones otherwise), from the order where a name fits, else from a service field of
 * the same name and schema.
 */
export function proposeInput(schema: Schema): InputProposal {
  const root = schema;
  const proposals: Proposal[] = [];
  const fields: InputProposal['fields'] = { properties: {}, required: [] };
  const taken = new Set<string>();

  const object = (s0: Schema, path: string[], indent: string): string | undefined => {
    const s = inline(root, s0);
    const props = (s.properties ?? {}) as Record<string, Schema>;
    const required = new Set((s.required as string[] | undefined) ?? []);
    const lines: string[] = [];
    for (const [name, ps0] of Object.entries(props)) {
      if (CONNECTOR_MEMBERS.has(normal(name))) continue;
      const ps = inline(root, ps0);
      const at = [...path, name];
      if (isObject(ps)) {
        const inner = object(ps, at, `${indent}  `);
        if (inner !== undefined && (required.has(name) || inner !== '{}')) lines.push(`${indent}${JSON.stringify(name)}: ${inner}`);
        continue;
      }
      const fromOrder = orderSourceOf(name, ps);
      if (fromOrder) {
        proposals.push({ member: at.join('.'), from: fromOrder.from, why: fromOrder.why });
        lines.push(`${indent}${JSON.stringify(name)}: ${fromOrder.from} ${comment(fromOrder.why)}`);
        continue;
      }
      if (!required.has(name)) continue;
      let field = fieldName(at);
      for (let i = 2; taken.has(field); i++) field = `${fieldName(at)}${i}`;
      taken.add(field);
      const { description: _d, ...fieldSchema } = ps;
      fields.properties[field] = { ...fieldSchema, ...(typeof ps.description === 'string' ? { description: ps.description } : {}) };
      fields.required.push(field);
      const why = `nothing in the order is ${name}: asked of the citizen as the service's field ${field}`;
      proposals.push({ member: at.join('.'), from: `payload.fields.${field}`, why });
      lines.push(`${indent}${JSON.stringify(name)}: payload.fields.${field} ${comment(why)}`);
    }
    return lines.length ? `{\n${lines.join(',\n')}\n${indent.slice(2)}}` : '{}';
  };
  return { expression: object(schema, [], '  ') ?? '{}', proposals, fields };
}

interface Leaf {
  path: string[];
  schema: Schema;
  /** Required at every level from the answer down: the answer always has it. */
  required: boolean;
}

function leaves(root: Schema, s0: Schema, path: string[] = [], out: Leaf[] = [], depth = 0, required = true): Leaf[] {
  if (depth > 8) return out;
  const s = inline(root, s0);
  if (isObject(s)) {
    const req = new Set((s.required as string[] | undefined) ?? []);
    for (const [name, ps] of Object.entries(s.properties as Record<string, Schema>)) leaves(root, ps, [...path, name], out, depth + 1, required && req.has(name));
  } else if (typeOf(s) !== 'array' && path.length) out.push({ path, schema: s, required });
  return out;
}

/** How much a leaf of the answer looks like the reference of what was issued: higher is likelier. */
function referenceScore(leaf: Leaf): number {
  const t = typeOf(leaf.schema);
  if (t !== undefined && t !== 'string' && t !== 'integer') return 0;
  if (Array.isArray(leaf.schema.enum) || leaf.schema.format === 'date-time' || leaf.schema.format === 'date') return 0;
  const n = normal(leaf.path[leaf.path.length - 1]!);
  const issued = /(certificate|extract|document|statement|record|equivalence|verification|policy|transaction|request|receipt|registration|licence|license|authentication|decision)/.test(n);
  if (/(reference|referenceno|referencenumber|ref)$/.test(n)) return issued ? 5 : 4;
  if (/(number|no|serial|serialnumber)$/.test(n) && issued) return 4;
  if (/(number|serial)$/.test(n)) return 2;
  if (/id$/.test(n) && issued) return 2;
  return 0;
}

const pathExpr = (path: string[]) => `payload.${path.map((p) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? p : `\`${p}\``)).join('.')}`;

/**
 * The output mapping: the answer's reference (the member most like one, or failing that a member
 * of the answer named as one of the request's, such as the `ssn` the person was asked by), as the
 * provider's reference and as the reference of the document the service issues, dated by the
 * answer's issue time when it has one.
 */
export function proposeOutput(schema: Schema, o: { service: string; provider: string; operation: string; inputMembers: string[] }): OutputProposal {
  const all = leaves(schema, schema);
  const proposals: Proposal[] = [];
  const ranked = all.map((l) => ({ l, score: referenceScore(l) })).filter((x) => x.score > 0).sort((a, b) => b.score - a.score || a.l.path.length - b.l.path.length);
  let ref = ranked[0] ? { leaf: ranked[0].l, why: `${ranked[0].l.path.join('.')} reads as the reference of what the provider issued` } : undefined;
  if (!ref) {
    const asked = new Set(o.inputMembers.map(normal));
    const echo = all.find((l) => asked.has(normal(l.path[l.path.length - 1]!)) && (typeOf(l.schema) ?? 'string') === 'string');
    if (echo) ref = { leaf: echo, why: `the answer has no reference: ${echo.path.join('.')}, the request's own ${echo.path[echo.path.length - 1]}, names what was answered` };
  }
  const issued = all.find((l) => /^(issuedat|issuedate|issuedon|issuetime|dateissued|issued)$/.test(normal(l.path[l.path.length - 1]!)) && (l.schema.format === 'date-time' || /T/.test(String(l.schema.pattern ?? ''))));
  // An answer without the reference of an issued document is a check (valid / name…): its
  // members are what the citizen asked for, kept as the order's typed result data.
  const result = (ranked[0]?.score ?? 0) >= 4 ? undefined : resultOf(all);
  const dataLine = result ? `  "data": {\n${result.members.map(([name, leaf]) => `    ${JSON.stringify(name)}: ${pathExpr(leaf.path)}`).join(',\n')}\n  } ${comment(result.why)},\n` : '';
  if (result) proposals.push({ member: 'data', from: `{ ${result.members.map(([n]) => n).join(', ')} }`, why: result.why });
  if (!ref) {
    return {
      expression: `{\n${dataLine}  "documents": [],\n  "providerReferences": [{ "provider": ${JSON.stringify(o.provider)}, "operation": ${JSON.stringify(o.operation)}, "reference": $error("TODO: map the reference in the answer") }]\n}`,
      proposals,
      ...(result ? { result: result.schema } : {}),
    };
  }
  const refExpr = typeOf(ref.leaf.schema) === 'integer' ? `$string(${pathExpr(ref.leaf.path)})` : pathExpr(ref.leaf.path);
  proposals.push({ member: 'providerReferences[0].reference', from: refExpr, why: ref.why });
  const issuedAt = issued ? pathExpr(issued.path) : '$now()';
  const issuedWhy = issued ? `${issued.path.join('.')} is when it was issued` : 'the answer says not when it was issued: the time of the answer';
  const documentWhy = `the service issues one document, of type ${o.service}, referenced by the provider's reference; ${issuedWhy}`;
  proposals.push({ member: 'documents[0]', from: refExpr, why: documentWhy });
  return {
    ...(result ? { result: result.schema } : {}),
    expression:
      `{\n${dataLine}  "documents": [{ "type": ${JSON.stringify(o.service)}, "reference": ${refExpr}, "issuedAt": ${issuedAt}, "issuer": ${JSON.stringify(o.provider)} }] ${comment(documentWhy)},\n` +
      `  "providerReferences": [{ "provider": ${JSON.stringify(o.provider)}, "operation": ${JSON.stringify(o.operation)}, "reference": ${refExpr} ${comment(ref.why)} }]\n}`,
    proposals,
  };
}

/** The result data of a check: its scalar members (the first MAX_RESULT_MEMBERS), each under its own name, with the contract's schema. */
function resultOf(all: Leaf[]): { members: Array<[string, Leaf]>; schema: Record<string, unknown>; why: string } | undefined {
  const members: Array<[string, Leaf]> = [];
  const taken = new Set<string>();
  for (const leaf of all) {
    if (members.length >= MAX_RESULT_MEMBERS) break;
    const t = typeOf(leaf.schema);
    if (t !== undefined && !['string', 'boolean', 'integer', 'number'].includes(t)) continue;
    let name = fieldName(leaf.path);
    for (let i = 2; taken.has(name); i++) name = `${fieldName(leaf.path)}${i}`;
    taken.add(name);
    members.push([name, leaf]);
  }
  if (!members.length) return undefined;
  const properties = Object.fromEntries(members.map(([name, leaf]) => [name, leaf.schema]));
  const required = members.filter(([, leaf]) => leaf.required).map(([name]) => name);
  return {
    members,
    schema: { type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}) },
    why: 'the answer issues no document: what it says is kept as the order\'s result data (service.json result.schema), returned to the channel and shown on the receipt',
  };
}

/** The service's fields schema with the proposed members, each with a valid example. */
export function fieldsSchema(fields: InputProposal['fields'], example: (s: Schema) => unknown): ServiceDefinition['fields'] {
  const sample: Record<string, unknown> = {};
  for (const name of fields.required) sample[name] = example(fields.properties[name]!);
  return { type: 'object', additionalProperties: false, ...(fields.required.length ? { required: fields.required } : {}), properties: fields.properties, examples: [sample] } as ServiceDefinition['fields'];
}

/** The map nodes of a flow whose expression still holds a proposal no one has reviewed. */
export function unreviewedProposals(nodes: ReadonlyArray<Record<string, unknown>>): Array<{ id: string; name: string; count: number }> {
  const out: Array<{ id: string; name: string; count: number }> = [];
  for (const n of nodes) {
    if (typeof n.expression !== 'string') continue;
    const count = n.expression.split(PROPOSED).length - 1;
    if (count) out.push({ id: String(n.id), name: String(n.name ?? n.id), count });
  }
  return out;
}
