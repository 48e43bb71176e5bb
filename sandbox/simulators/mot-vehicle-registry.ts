/**
 * Simulator of the Ministry of Transport's vehicle registry (REST, OpenAPI 3.1):
 * GET /mot/v1/vehicles/{plate}/ownership?governorate=…
 *
 * Test plates (documented in sandbox/README.md):
 *   999999 → 404 {"code":"VEHICLE_NOT_FOUND"}
 *   777777 → a statement with a mortgage lien
 *   anything else → a statement without liens
 * Records the `Idempotency-Key` header (and `X-Wasl-Order-Id`) of every request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen, Recorder, sleep, type RunningSimulator, type SimulatorOptions } from './recorder';

export const VEHICLE_REGISTRY_BASE = '/mot/v1';
export const VEHICLE_REGISTRY_DEFAULT_PORT = 8092;
export const VEHICLE_NOT_FOUND = '999999';
export const VEHICLE_WITH_LIEN = '777777';

const ROUTE = /^\/mot\/v1\/vehicles\/([^/]+)\/ownership$/;

export async function startVehicleRegistry(opts: SimulatorOptions): Promise<RunningSimulator> {
  const recorder = new Recorder(opts.recordFile);
  let delayMs = opts.delayMs ?? 0;
  let serial = 0;
  const answered = new Map<string, { status: number; body: unknown; outcome: string; reference?: string }>();

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const m = ROUTE.exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'NOT_FOUND' }));
      return;
    }
    const plate = decodeURIComponent(m[1]!);
    const governorate = url.searchParams.get('governorate') ?? '';
    const key = req.headers['idempotency-key'] as string | undefined;
    const previous = key ? answered.get(key) : undefined;
    let reply = previous;
    if (!reply) {
      if (plate === VEHICLE_NOT_FOUND) reply = { status: 404, outcome: 'VEHICLE_NOT_FOUND', body: { code: 'VEHICLE_NOT_FOUND', message: 'لا توجد مركبة بهذه اللوحة' } };
      else if (!governorate) reply = { status: 400, outcome: 'INVALID_REQUEST', body: { code: 'INVALID_REQUEST', message: 'governorate is required' } };
      else {
        const statementNumber = `VOS-${new Date().getUTCFullYear()}-${String(++serial).padStart(6, '0')}`;
        reply = {
          reference: statementNumber,
          status: 200,
          outcome: 'ok',
          body: {
            statementNumber,
            issuedAt: new Date().toISOString(),
            owner: { nationalNumber: '03110987654', nameAr: 'هبة نزار القاسم' },
            vehicle: { plate, governorate, make: 'Kia', model: 'Rio', year: 2012, chassis: 'KNADN512BC6123456' },
            liens: plate === VEHICLE_WITH_LIEN ? [{ kind: 'mortgage', holder: 'المصرف التجاري السوري', since: '2021-03-01' }] : [],
          },
        };
      }
      if (key) answered.set(key, reply);
    }
    recorder.add({ simulator: 'mot-vehicle-registry', at: new Date().toISOString(), method: 'GET', path: url.pathname, idempotencyKey: key, orderId: req.headers['x-wasl-order-id'] as string | undefined, input: { plate, governorate }, outcome: reply.outcome, ...(reply.reference ? { reference: reply.reference } : {}), repeated: !!previous });
    if (delayMs > 0) await sleep(delayMs);
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(reply.body));
  };

  const server = createServer((req, res) => {
    req.resume();
    answer(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, opts.port, host);
  return {
    name: 'mot-vehicle-registry',
    url: `http://${host}:${port}${VEHICLE_REGISTRY_BASE}`,
    requests: recorder.requests,
    setDelay: (ms) => void (delayMs = ms),
    close: () => closeServer(server),
  };
}
