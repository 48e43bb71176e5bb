/**
 * Simulator of the Ministry of Interior's civil registry (SOAP 1.1, X-Road 4.0 headers):
 * serves its WSDL at `?wsdl` and answers IssueIndividualExtract.
 *
 * Test national numbers (documented in sandbox/README.md):
 *   09900000001 → SOAP fault, detail errorCode PERSON_NOT_FOUND
 *   09900000002 → SOAP fault, detail errorCode RECORD_SEALED
 *   anything else valid (11 digits) → an extract, its document inline: a one-page PDF
 *     (./pdf.ts) in `content` (base64Binary), as the ministry's answer carries it
 * A repeated X-Road `id` gets the answer given the first time (the ministry deduplicates).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { renderDocumentPdf } from './pdf';
import { closeServer, listen, Recorder, sleep, type RunningSimulator, type SimulatorOptions } from './recorder';

export const CIVIL_REGISTRY_PATH = '/moi/civil-registry';
export const CIVIL_REGISTRY_DEFAULT_PORT = 8091;
export const PERSON_NOT_FOUND = '09900000001';
export const RECORD_SEALED = '09900000002';

const NS = 'urn:sy:gov:moi:civil-registry:v1';
const WSDL = join(__dirname, '..', 'contracts', 'moi-civil-registry.wsdl');
const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, processEntities: false });

const esc = (s: unknown) => String(s ?? '').replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : typeof v === 'object' ? String((v as { '#text'?: unknown })['#text'] ?? '') : String(v));

function envelope(headerXml: string, bodyXml: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:iden="http://x-road.eu/xsd/identifiers" xmlns:cr="${NS}"><soapenv:Header>${headerXml}</soapenv:Header><soapenv:Body>${bodyXml}</soapenv:Body></soapenv:Envelope>`;
}

function member(tag: string, v: Record<string, unknown> | undefined): string {
  if (!v) return '';
  const fields = ['xRoadInstance', 'memberClass', 'memberCode', 'subsystemCode', 'serviceCode', 'serviceVersion'];
  const inner = fields.filter((f) => v[f] !== undefined).map((f) => `<iden:${f}>${esc(text(v[f]))}</iden:${f}>`).join('');
  return `<xrd:${tag} iden:objectType="${esc(v['@objectType'] ?? '')}">${inner}</xrd:${tag}>`;
}

function echoHeaders(h: Record<string, unknown>): string {
  const simple = (tag: string) => (h[tag] !== undefined ? `<xrd:${tag}>${esc(text(h[tag]))}</xrd:${tag}>` : '');
  return member('client', h.client as Record<string, unknown>) + member('service', h.service as Record<string, unknown>) + simple('userId') + simple('id') + simple('issue') + simple('protocolVersion');
}

function fault(code: string, message: string): string {
  return `<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring xml:lang="ar">${esc(message)}</faultstring><detail><cr:RegistryFault><cr:errorCode>${code}</cr:errorCode><cr:errorMessage>${esc(message)}</cr:errorMessage></cr:RegistryFault></detail></soapenv:Fault>`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The extract as a PDF: what the answer says (reference, entry) and what was asked (purpose,
 * copies, language), never more; the date is the day of issue, so the same answer gives the same
 * bytes. The applicant's name is Arabic, which the page's fonts cannot draw: it travels in the
 * answer's names, not on this sandbox page.
 */
function extractPdf(reference: string, issuedAt: string, input: { nationalNumber?: string; purpose?: string; copies: number; language?: string }): Promise<Buffer> {
  const day = issuedAt.slice(0, 10);
  return renderDocumentPdf({
    title: { en: 'Individual civil-registry extract', ar: 'إخراج قيد فردي' },
    issuer: 'Ministry of Interior - Civil Registry',
    reference,
    issuedAt: day,
    fields: [
      { label: 'National number', value: input.nationalNumber ?? '' },
      { label: 'Governorate', value: 'Damascus' },
      { label: 'Registry place', value: 'Mezzeh' },
      { label: 'Entry number', value: String(Number((input.nationalNumber ?? '0').slice(-4))) },
      { label: 'Purpose', value: input.purpose ?? '' },
      { label: 'Copies', value: String(input.copies) },
      { label: 'Language', value: input.language ?? 'ar' },
    ],
  });
}

export async function startCivilRegistry(opts: SimulatorOptions): Promise<RunningSimulator> {
  const recorder = new Recorder(opts.recordFile);
  let delayMs = opts.delayMs ?? 0;
  let serial = 0;
  const answered = new Map<string, { status: number; xml: string; outcome: string; reference?: string }>();

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (req.method === 'GET' && url.pathname === CIVIL_REGISTRY_PATH && url.searchParams.has('wsdl')) {
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(readFileSync(WSDL));
      return;
    }
    if (req.method !== 'POST' || url.pathname !== CIVIL_REGISTRY_PATH) {
      res.writeHead(404).end();
      return;
    }
    const raw = await readBody(req);
    let env: Record<string, unknown>;
    try {
      env = (parser.parse(raw) as { Envelope: Record<string, unknown> }).Envelope;
      if (!env) throw new Error('no envelope');
    } catch {
      res.writeHead(400, { 'content-type': 'text/xml; charset=utf-8' }).end(envelope('', fault('BAD_REQUEST', 'malformed envelope')));
      return;
    }
    const headers = (env.Header ?? {}) as Record<string, unknown>;
    const op = ((env.Body ?? {}) as Record<string, Record<string, unknown>>).IssueIndividualExtract ?? {};
    const input = { nationalNumber: text(op.nationalNumber), purpose: text(op.purpose), copies: Number(text(op.copies)), language: text(op.language), applicantName: text(op.applicantName) };
    const key = text(headers.id);
    const previous = key ? answered.get(key) : undefined;
    let reply = previous;
    if (!reply) {
      if (input.nationalNumber === PERSON_NOT_FOUND) reply = { status: 500, outcome: 'PERSON_NOT_FOUND', xml: fault('PERSON_NOT_FOUND', 'لا يوجد قيد بهذا الرقم الوطني') };
      else if (input.nationalNumber === RECORD_SEALED) reply = { status: 500, outcome: 'RECORD_SEALED', xml: fault('RECORD_SEALED', 'القيد مختوم') };
      else if (!/^[0-9]{11}$/.test(input.nationalNumber ?? '')) reply = { status: 500, outcome: 'INVALID_REQUEST', xml: fault('INVALID_REQUEST', 'invalid national number') };
      else {
        const ref = `IE-${new Date().getUTCFullYear()}-${String(++serial).padStart(6, '0')}`;
        const names = String(input.applicantName ?? '').split(/\s+/);
        const issuedAt = new Date().toISOString();
        const pdf = await extractPdf(ref, issuedAt, input);
        reply = {
          status: 200,
          outcome: 'ok',
          reference: ref,
          xml:
            `<cr:IssueIndividualExtractResponse><cr:extractReference>${ref}</cr:extractReference><cr:issuedAt>${issuedAt}</cr:issuedAt>` +
            `<cr:names><cr:firstName>${esc(names[0] ?? '')}</cr:firstName><cr:fatherName>${esc(names[1] ?? '')}</cr:fatherName><cr:motherName>وداد</cr:motherName><cr:familyName>${esc(names.slice(2).join(' '))}</cr:familyName></cr:names>` +
            `<cr:entry><cr:governorate>دمشق</cr:governorate><cr:registryPlace>المزة</cr:registryPlace><cr:entryNumber>${Number(input.nationalNumber!.slice(-4))}</cr:entryNumber></cr:entry>` +
            `<cr:document><cr:mediaType>application/pdf</cr:mediaType><cr:content>${pdf.toString('base64')}</cr:content></cr:document></cr:IssueIndividualExtractResponse>`,
        };
      }
      if (key) answered.set(key, reply);
    }
    recorder.add({ simulator: 'moi-civil-registry', at: new Date().toISOString(), method: 'POST', path: url.pathname, idempotencyKey: key, orderId: text(headers.issue), input, outcome: reply.outcome, ...(reply.reference ? { reference: reply.reference } : {}), repeated: !!previous });
    if (delayMs > 0) await sleep(delayMs);
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'content-type': 'text/xml; charset=utf-8' }).end(envelope(echoHeaders(headers), reply.xml));
  };

  const server = createServer((req, res) => {
    answer(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, opts.port, host);
  return {
    name: 'moi-civil-registry',
    url: `http://${host}:${port}${CIVIL_REGISTRY_PATH}`,
    requests: recorder.requests,
    setDelay: (ms) => void (delayMs = ms),
    close: () => closeServer(server),
  };
}
