/**
 * Real servers for the SOAP connector's tests: the `soap` package's own server (soap.listen) on
 * a WSDL, over HTTP or HTTPS (with client certificates for mutual TLS), recording every raw
 * request it receives; and a bare node:http server for canned, slow, failing or hostile replies.
 * Everything listens on 127.0.0.1, port 0.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as soap from 'soap';
import type { ProviderDefinition } from '../../../contracts/types';
import type { SoapProvider } from '../../../connectors/soap/connector';
import type { ServiceModel } from '../../../connectors/soap/model';

export const BUILTIN_SCHEMAS = path.resolve(__dirname, '../../../connectors/soap/schemas');

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface SoapTestServer {
  url: string;
  received: Received[];
  soap: soap.Server;
  close(): Promise<void>;
}

export interface SoapServerOptions {
  wsdlFile: string;
  services: soap.IServices;
  path?: string;
  /** Answer in SOAP 1.2 envelopes. */
  soap12?: boolean;
  https?: https.ServerOptions;
  /** Where schemaLocations pointing at the internet are found: their last segment in these folders. */
  importDirs?: string[];
  /** Answer every request with these SOAP headers (a function sees the request's headers). */
  responseHeaders?: (methodName: string, args: unknown, headers: unknown) => string;
  authenticate?: (security: unknown, cb: (ok: boolean | Error) => void) => void;
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startSoapServer(opts: SoapServerOptions): Promise<SoapTestServer> {
  const server = opts.https ? https.createServer(opts.https) : http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const p = opts.path ?? '/soap';
  const dirs = [path.dirname(opts.wsdlFile), ...(opts.importDirs ?? []), BUILTIN_SCHEMAS];
  const received: Received[] = [];
  const ready = new Promise<soap.Server>((resolve, reject) => {
    const s = soap.listen(server, {
      path: p,
      services: opts.services,
      xml: readFileSync(opts.wsdlFile, 'utf8'),
      uri: opts.wsdlFile,
      forceSoap12Headers: opts.soap12 ?? false,
      suppressStack: true,
      enableChunkedEncoding: false,
      wsdl_options: {
        // The soap package would fetch http(s) schemaLocations: serve them from local copies instead.
        overrideImportLocation: (resolved: string) => {
          if (!/^https?:/i.test(resolved)) return resolved;
          const base = decodeURIComponent(resolved.split('/').pop() ?? '');
          for (const d of dirs) {
            try {
              readFileSync(path.join(d, base));
              return path.join(d, base);
            } catch {
              /* next folder */
            }
          }
          return path.join(__dirname, '../../fixtures/soap/empty.xsd');
        },
      },
      callback: (err: unknown) => (err ? reject(err as Error) : resolve(s)),
    } as soap.IServerOptions);
    s.log = (type: string, data: unknown, req: http.IncomingMessage) => {
      if (type === 'received') received.push({ headers: req.headers, body: String(data) });
    };
    if (opts.responseHeaders) s.addSoapHeader(opts.responseHeaders);
    if (opts.authenticate) s.authenticate = opts.authenticate as never;
  });
  const s = await ready;
  return {
    url: `${opts.https ? 'https' : 'http'}://127.0.0.1:${port}${p}`,
    received,
    soap: s,
    close: () => close(server),
  };
}

export interface BareServer {
  url: string;
  hits: number;
  received: Received[];
  close(): Promise<void>;
}

/** A node:http server whose handler gets the request body read. */
export async function startBareServer(
  handler: (req: http.IncomingMessage, body: string, res: http.ServerResponse, hit: number) => void,
  tls?: https.ServerOptions,
): Promise<BareServer> {
  const state: BareServer = { url: '', hits: 0, received: [], close: async () => {} };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      state.hits++;
      state.received.push({ headers: req.headers, body });
      handler(req, body, res, state.hits);
    });
  };
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}/soap`;
  state.close = () => close(server);
  return state;
}

/** A provider definition around a compiled model, for tests. */
export function testProvider(model: ServiceModel, endpoint: string, extra: Partial<ProviderDefinition> = {}): SoapProvider {
  return {
    model,
    definition: {
      code: 'test-provider',
      names: { ar: 'مزود اختبار', en: 'Test provider' },
      kind: 'soap',
      contract: { type: 'wsdl', file: 'contract/service.wsdl' },
      environments: { sandbox: { endpoint } },
      ...extra,
      // Tests must not wait for real backoff.
      resilience: { ...extra.resilience, retry: { baseDelayMs: 1, maxDelayMs: 5, ...extra.resilience?.retry } },
    } as ProviderDefinition,
  };
}

export const XROAD_CONFIG = {
  protocolVersion: '4.0',
  client: { xRoadInstance: 'FI_TEST', memberClass: 'GOV', memberCode: '1234567-8', subsystemCode: 'TestClient' },
  service: { xRoadInstance: 'FI_TEST', memberClass: 'GOV', memberCode: '9876543-1', subsystemCode: 'DemoService' },
};
