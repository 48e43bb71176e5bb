/**
 * The way such a service is wired today, as bench:e2e's baseline: a plain Node-RED 4.1 (its own
 * process, no wasl node, no store, no bus) with one flow
 *
 *   http in (POST /extract) → function (cached soap client) → http response
 *                                     catch → 502 ┘
 *
 * The function creates its `soap` client once, in its On Start code (from the ministry's
 * `?wsdl`, X-Road headers added per call with a fresh message id), and keeps it in node
 * context: the best case of the community's pattern, not the client-per-message one. Nothing is
 * durable: a crash loses what is in flight, and a retry by the caller calls the ministry again.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as soap from 'soap';

const XROAD_XSD = resolve(__dirname, '..', '..', 'connectors', 'soap', 'schemas', 'xroad.xsd');
const EMPTY_XSD = resolve(__dirname, '..', '..', 'test', 'fixtures', 'soap', 'empty.xsd');

const initialize = `
const soap = global.get('soap');
const client = await soap.createClientAsync(env.get('MINISTRY_URL') + '?wsdl', {
  endpoint: env.get('MINISTRY_URL'),
  // Offline: X-Road's schema from a local copy, the W3C's xml.xsd not needed.
  wsdl_options: { overrideImportLocation: (p) => (/^https?:/.test(p) ? (p.endsWith('xroad.xsd') ? global.get('xroadXsd') : global.get('emptyXsd')) : p) },
});
const NS = 'xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:iden="http://x-road.eu/xsd/identifiers"';
const member = (tag, type, m) =>
  '<xrd:' + tag + ' ' + NS + ' iden:objectType="' + type + '">' +
  Object.entries(m).map(([k, v]) => '<iden:' + k + '>' + v + '</iden:' + k + '>').join('') +
  '</xrd:' + tag + '>';
const uuid = global.get('uuid');
client.addSoapHeader(member('client', 'SUBSYSTEM', { xRoadInstance: 'SY', memberClass: 'GOV', memberCode: 'PLAIN', subsystemCode: 'flow' }));
client.addSoapHeader(member('service', 'SERVICE', { xRoadInstance: 'SY', memberClass: 'GOV', memberCode: 'MOI', subsystemCode: 'civil-registry', serviceCode: 'IssueIndividualExtract', serviceVersion: 'v1' }));
client.addSoapHeader('<xrd:userId ' + NS + '>plain-flow</xrd:userId>');
// A fresh X-Road message id per call: the header as a function is called for every request.
client.addSoapHeader(() => '<xrd:id ' + NS + '>' + uuid() + '</xrd:id>');
client.addSoapHeader('<xrd:protocolVersion ' + NS + '>4.0</xrd:protocolVersion>');
context.set('client', client);
context.set('agent', new (global.get('http').Agent)({ keepAlive: true, maxSockets: 256 }));
`;

const func = `
const client = context.get('client');
const [result] = await client.IssueIndividualExtractAsync({
  nationalNumber: msg.payload.nationalNumber,
  purpose: msg.payload.purpose,
  copies: msg.payload.copies,
  language: msg.payload.language || 'ar',
  applicantName: msg.payload.applicantName,
}, { httpAgent: context.get('agent') });
msg.payload = { extractReference: result.extractReference, issuedAt: result.issuedAt, document: result.document };
return msg;
`;

function flow(): unknown[] {
  return [
    { id: 'plain', type: 'tab', label: 'plain' },
    { id: 'in', type: 'http in', z: 'plain', url: '/extract', method: 'post', upload: false, x: 100, y: 40, wires: [['call']] },
    { id: 'call', type: 'function', z: 'plain', name: 'soap call', initialize, func, finalize: '', outputs: 1, libs: [], x: 300, y: 40, wires: [['out']] },
    { id: 'out', type: 'http response', z: 'plain', statusCode: '', headers: {}, x: 500, y: 40, wires: [] },
    { id: 'catch', type: 'catch', z: 'plain', scope: ['call'], uncaught: false, x: 100, y: 100, wires: [['fail']] },
    { id: 'fail', type: 'change', z: 'plain', rules: [{ t: 'set', p: 'statusCode', pt: 'msg', to: '502', tot: 'num' }, { t: 'set', p: 'payload', pt: 'msg', to: 'error.message', tot: 'msg' }], x: 300, y: 100, wires: [['out']] },
  ];
}

async function main(): Promise<void> {
  const userDir = mkdtempSync(join(tmpdir(), 'wasl-bench-plain-'));
  process.on('exit', () => rmSync(userDir, { recursive: true, force: true }));
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flow()));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red') as {
    init(server: http.Server, settings: Record<string, unknown>): void;
    start(): Promise<void>;
    stop(): Promise<void>;
    httpNode: http.RequestListener;
    events: { on(e: string, h: (...a: unknown[]) => void): void };
  };
  const server = http.createServer((req, res) => RED.httpNode(req, res));
  server.keepAliveTimeout = 65_000;
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    httpAdminRoot: false,
    httpNodeRoot: '/',
    credentialSecret: false,
    functionGlobalContext: { soap, http, xroadXsd: XROAD_XSD, emptyXsd: EMPTY_XSD, uuid: randomUUID },
    logging: { console: { level: 'warn', metrics: false, audit: false } },
    editorTheme: { tours: false },
  });
  const started = new Promise<void>((r) => RED.events.on('flows:started', () => r()));
  await RED.start();
  await started;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  process.on('message', (m) => m === 'stop' && void RED.stop().finally(() => process.exit(0)));
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ready: `http://127.0.0.1:${port}` });
}

main().catch((err: unknown) => {
  process.stderr.write(`plain-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
