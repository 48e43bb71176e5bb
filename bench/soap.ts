/**
 * `npm run bench:soap` — the wasl SOAP connector against the `soap` package's own client, on the
 * same operation with the same arguments, against one canned responder, in one run.
 *
 * The responder is a bare node:http server in a child process (this file, run with
 * --responder): for every request it parses the envelope with the hardened parser, reduces it to
 * its structure (elements and attributes by namespace, non-blank text, the Content-Type and
 * SOAPAction), and answers the operation's fixed valid response only when that structure is the
 * one of the first request it saw; any other envelope gets a 500 fault and is counted as
 * rejected. Both clients must therefore send equivalent envelopes.
 *
 * The operation is X-Road's personDetails (xroad-example-adapter), with the X-Road headers
 * (client, service, id, userId, protocolVersion). Each client runs at 50 concurrent calls: a
 * warm-up, then four measured windows, alternating with the other client. The soap client uses a
 * keep-alive agent, like wasl's shared HTTP client, so both reuse connections. Client and responder
 * CPU are printed too: on a shared machine calls/s move with other load, CPU per call much less.
 *
 * Options (environment): BENCH_SOAP_SECONDS (measured seconds per client, default 6),
 * BENCH_SOAP_OP (personDetails | helloService), BENCH_SOAP_CONCURRENCY (default 50).
 * The last line is always `soap: ratio X.XX (target >= 3.00)`, and the exit code 0.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as soap from 'soap';
import { sharedHttpClient } from '../connectors/http/client';
import { SoapConnector } from '../connectors/soap/connector';
import { compileWsdlFile } from '../connectors/soap/wsdl/compile';
import { parseXml, type XmlElement } from '../connectors/xml/parse';
import type { ProviderDefinition } from '../contracts/types';

const CORPUS = path.resolve(__dirname, '..', 'test', 'fixtures', 'wsdl-corpus', 'xroad-example-adapter');
const WSDL = path.join(CORPUS, 'example-adapter.wsdl');
const BUILTIN_SCHEMAS = path.resolve(__dirname, '..', 'connectors', 'soap', 'schemas');
const EMPTY_XSD = path.resolve(__dirname, '..', 'test', 'fixtures', 'soap', 'empty.xsd');
const OP = process.env.BENCH_SOAP_OP === 'helloService' ? 'helloService' : 'personDetails';
const INPUT: Record<string, unknown> = OP === 'helloService' ? { name: 'ريم خالد الأحمد' } : { ssn: '1235' };
const SECONDS = Number(process.env.BENCH_SOAP_SECONDS ?? 6);
const CONCURRENCY = Number(process.env.BENCH_SOAP_CONCURRENCY ?? 50);
const WARMUP_SECONDS = 2;
const ROUNDS = 4;

const XROAD = {
  protocolVersion: '4.0',
  client: { xRoadInstance: 'FI_TEST', memberClass: 'GOV', memberCode: '1234567-8', subsystemCode: 'TestClient' },
  service: { xRoadInstance: 'FI_TEST', memberClass: 'GOV', memberCode: '9876543-1', subsystemCode: 'DemoService' },
};
const MESSAGE_ID = 'bench-0000-0001';
const USER_ID = 'EE1234567890';

// ───────────────────────────── responder (child process) ─────────────────────────────

/** The structure of an envelope: what must be equal for two requests to be "the same". */
function structure(el: XmlElement): string {
  let s = `<{${el.ns}}${el.local}`;
  for (const a of [...el.attrs].sort((x, y) => (x.ns + x.local < y.ns + y.local ? -1 : 1))) s += ` {${a.ns}}${a.local}=${JSON.stringify(a.value)}`;
  s += '>';
  for (const c of el.children) s += typeof c === 'string' ? (c.trim() ? JSON.stringify(c.trim()) : '') : structure(c);
  return s + '</>';
}

function responder(op: string): void {
  const canned = readFileSync(path.join(CORPUS, 'examples', `${op}Response.xml`));
  const fault = Buffer.from(
    '<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>' +
      '<faultcode>soapenv:Client</faultcode><faultstring>request envelope not equivalent to the reference</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>',
  );
  let reference: string | undefined;
  // Both clients send byte-identical envelopes call after call: a body already judged (same
  // bytes, same Content-Type and SOAPAction) is not parsed again, so the responder's cost stays
  // small and the same for both.
  const judged: Array<{ head: string; body: Buffer; ok: boolean }> = [];
  let phase = 'init';
  const counts: Record<string, { accepted: number; rejected: number }> = {};
  process.on('message', (m: { phase?: string; stats?: boolean }) => {
    if (m.phase) phase = m.phase;
    if (m.stats) process.send!({ stats: counts, reference: reference?.length });
  });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const c = (counts[phase] ??= { accepted: 0, rejected: 0 });
      const head = `${String(req.headers['content-type']).replace(/\s+/g, '').toLowerCase()}|${String(req.headers.soapaction)}|`;
      const body = Buffer.concat(chunks);
      let ok = judged.find((j) => j.head === head && j.body.equals(body))?.ok;
      if (ok === undefined) {
        let key: string;
        try {
          key = head + structure(parseXml(body));
        } catch {
          key = 'malformed';
        }
        reference ??= key;
        ok = key === reference && key !== 'malformed';
        if (judged.length < 64) judged.push({ head, body, ok });
      }
      if (ok) {
        c.accepted++;
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': canned.length });
        res.end(canned);
      } else {
        c.rejected++;
        res.writeHead(500, { 'content-type': 'text/xml; charset=utf-8', 'content-length': fault.length });
        res.end(fault);
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => process.send!({ ready: `http://127.0.0.1:${(server.address() as AddressInfo).port}/xroad` }));
}

// ───────────────────────────── the run (parent) ─────────────────────────────

interface Responder {
  url: string;
  child: ChildProcess;
  phase(name: string): void;
  stats(): Promise<Record<string, { accepted: number; rejected: number }>>;
}

function startResponder(): Promise<Responder> {
  const child = fork(__filename, ['--responder', OP], { execArgv: ['--require', 'tsx/cjs'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  process.on('exit', () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`responder exited (${code})`)));
    child.once('message', (m: { ready?: string }) => {
      if (!m.ready) return reject(new Error('responder did not start'));
      resolve({
        url: m.ready,
        child,
        phase: (name) => child.send({ phase: name }),
        stats: () =>
          new Promise((r) => {
            child.once('message', (s: { stats: Record<string, { accepted: number; rejected: number }> }) => r(s.stats));
            child.send({ stats: true });
          }),
      });
    });
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc; NaN off Linux. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** `concurrency` workers calling back to back until the deadline; calls and errors counted. */
async function load(call: () => Promise<unknown>, seconds: number): Promise<{ calls: number; errors: number; ms: number; firstError?: unknown }> {
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let calls = 0;
  let errors = 0;
  let firstError: unknown;
  const worker = async () => {
    while (performance.now() < deadline) {
      try {
        await call();
        calls++;
      } catch (err) {
        errors++;
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { calls, errors, ms: performance.now() - t0, firstError };
}

function xroadHeadersXml(): string[] {
  const X = 'http://x-road.eu/xsd/xroad.xsd';
  const I = 'http://x-road.eu/xsd/identifiers';
  const ns = `xmlns:xro="${X}" xmlns:iden="${I}"`;
  const member = (m: Record<string, string | undefined>) =>
    ['xRoadInstance', 'memberClass', 'memberCode', 'subsystemCode', 'serviceCode', 'serviceVersion']
      .filter((k) => m[k] !== undefined)
      .map((k) => `<iden:${k}>${m[k]}</iden:${k}>`)
      .join('');
  // What a soap-package user writes by hand: the same headers, in X-Road's order.
  return [
    `<xro:client ${ns} iden:objectType="SUBSYSTEM">${member(XROAD.client)}</xro:client>`,
    `<xro:service ${ns} iden:objectType="SERVICE">${member({ ...XROAD.service, serviceCode: OP, serviceVersion: 'v1' })}</xro:service>`,
    `<xro:id ${ns}>${MESSAGE_ID}</xro:id>`,
    `<xro:userId ${ns}>${USER_ID}</xro:userId>`,
    `<xro:protocolVersion ${ns}>4.0</xro:protocolVersion>`,
  ];
}

async function main(): Promise<void> {
  const responder = await startResponder();
  const model = compileWsdlFile(WSDL).model;
  const definition: ProviderDefinition = {
    code: 'bench-xroad',
    names: { ar: 'محول X-Road التجريبي', en: 'X-Road example adapter' },
    kind: 'soap',
    contract: { type: 'wsdl', file: 'contract/example-adapter.wsdl' },
    environments: { sandbox: { endpoint: responder.url } },
    xroad: XROAD,
    // The provider's own bulkhead decides how many calls are in flight: let it match the load.
    resilience: process.env.BENCH_SOAP_DEFAULT_BULKHEAD ? undefined : { bulkhead: { maxConcurrent: CONCURRENCY, maxQueued: CONCURRENCY } },
  };
  const wasl = new SoapConnector({ definition, model }, 'sandbox');
  const waslCall = () => wasl.call(OP, INPUT, { idempotencyKey: MESSAGE_ID, userId: USER_ID });

  const client = await soap.createClientAsync(WSDL, {
    endpoint: responder.url,
    wsdl_options: {
      // Offline: the X-Road schema from wasl's built-in catalogue, xml.xsd not needed.
      overrideImportLocation: (p: string) => (/^https?:/.test(p) ? (p.endsWith('xroad.xsd') ? path.join(BUILTIN_SCHEMAS, 'xroad.xsd') : EMPTY_XSD) : p),
    },
  } as soap.IOptions);
  for (const h of xroadHeadersXml()) client.addSoapHeader(h);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const method = (client as unknown as Record<string, (args: unknown, opts: unknown) => Promise<unknown[]>>)[`${OP}Async`]!.bind(client);
  const soapCall = () => method(INPUT, { httpAgent: agent });

  // Both answer, and the responder takes both envelopes as the same.
  responder.phase('check');
  const w = await waslCall();
  const s = await soapCall();
  if (!w.output || !s[0]) throw new Error('a client returned nothing');

  const clients = { wasl: waslCall, soap: soapCall } as const;
  for (const [name, call] of Object.entries(clients)) {
    responder.phase(`warmup-${name}`);
    await load(call, WARMUP_SECONDS);
  }
  const totals = { wasl: { calls: 0, errors: 0, ms: 0, cpu: 0, childCpu: 0 }, soap: { calls: 0, errors: 0, ms: 0, cpu: 0, childCpu: 0 } };
  let firstError: unknown;
  const perRound: Array<{ wasl: number; soap: number }> = [];
  // Short windows, alternating, so both clients see the same background load on a shared machine.
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, call] of Object.entries(clients) as Array<[keyof typeof clients, () => Promise<unknown>]>) {
      responder.phase(name);
      const cpu0 = process.cpuUsage();
      const child0 = cpuSeconds(responder.child.pid);
      const r = await load(call, SECONDS / ROUNDS);
      const cpu = process.cpuUsage(cpu0);
      totals[name].cpu += (cpu.user + cpu.system) / 1e6;
      totals[name].childCpu += cpuSeconds(responder.child.pid) - child0;
      ((perRound[round] ??= { wasl: 0, soap: 0 })[name] = (r.calls * 1000) / r.ms);
      totals[name].calls += r.calls;
      totals[name].errors += r.errors;
      totals[name].ms += r.ms;
      firstError ??= r.firstError;
    }
  }
  const stats = await responder.stats();
  const rate = (t: { calls: number; ms: number }) => (t.calls * 1000) / t.ms;
  const waslRate = rate(totals.wasl);
  const soapRate = rate(totals.soap);
  const ratio = soapRate > 0 ? waslRate / soapRate : 0;
  const acc = (k: string) => `${stats[k]?.accepted ?? 0} accepted / ${stats[k]?.rejected ?? 0} rejected`;

  console.log(`soap bench: ${OP} (xroad-example-adapter, X-Road headers), ${CONCURRENCY} concurrent calls, ${WARMUP_SECONDS} s warm-up, then ${ROUNDS} × ${SECONDS / ROUNDS} s per client, alternating`);
  console.log(`  responder (child pid ${responder.child.pid}): first check ${acc('check')}; wasl ${acc('wasl')}; soap ${acc('soap')}`);
  const line = (label: string, r: number, t: (typeof totals)['wasl']) =>
    console.log(
      `  ${label} ${r.toFixed(0).padStart(7)} calls/s  (${t.calls} calls, ${t.errors} errors; client CPU ${((t.cpu / t.ms) * 1e5).toFixed(0)}% = ${((t.cpu / t.calls) * 1e6).toFixed(0)} µs/call, responder CPU ${((t.childCpu / t.ms) * 1e5).toFixed(0)}%)`,
    );
  line('wasl SoapConnector  ', waslRate, totals.wasl);
  line('soap package client ', soapRate, totals.soap);
  console.log(`  per window (wasl / soap calls/s): ${perRound.map((p) => `${p.wasl.toFixed(0)}/${p.soap.toFixed(0)}`).join('  ')}`);
  const cpuRatio = totals.soap.cpu / totals.soap.calls / (totals.wasl.cpu / totals.wasl.calls);
  console.log(`  client CPU per call: soap / wasl = ${cpuRatio.toFixed(2)} (less sensitive to other load on the machine than calls/s)`);
  if (firstError) console.log(`  first error: ${String(firstError)}`);
  responder.child.kill();
  agent.destroy();
  await sharedHttpClient.close();
  console.log(`soap: ratio ${ratio.toFixed(2)} (target >= 3.00)`);
}

if (process.argv.includes('--responder')) {
  responder(process.argv[process.argv.indexOf('--responder') + 1] ?? OP);
} else {
  main()
    .catch((err) => {
      console.error(`soap bench failed: ${String(err)}`);
      console.log('soap: ratio 0.00 (target >= 3.00)');
    })
    .finally(() => process.exit(0));
}
