/**
 * The floor of wasl's own work, for bench:e2e: what the hub promises for each order — the same
 * records, the same checks, the same cryptography — done in the fewest steps one process can
 * take, without Node-RED, Fastify, the bus or the hand-overs between stages. Where the durable
 * floor (floor-child.ts) is the least any durable path pays, this is the least *wasl's* path
 * pays: an order costs the hub at least this much CPU whatever its plumbing, so a target below
 * it cannot be met without giving up one of the promises.
 *
 * Per order, on the hub's own schema (its SQLite migrations, so every index the hub's readers
 * need is kept up too) and its own group commit (hub/sqlite/database.ts):
 * - intake, one durable write before the 202: the channel's bearer key checked as the gateway
 *   checks it (SHA-256, constant-time compare); the body parsed and validated against the
 *   contract's OrderRequest schema (ajv, as the gateway's); the catalogue's checks, fields and
 *   fees (hub/intake.ts buildOrder, the gateway's own); the idempotency key looked up and
 *   stored with the request's hash; the order, its `received` step, that step's event in the
 *   outbox and its audit record (chained, hashed and MACed: hub/audit/chain.ts); one log line;
 * - before the ministry call, one durable write: `submitted-to-provider` (the order rewritten,
 *   step, event, audit record) and the journal's `started` entry, so that a crash cannot call
 *   twice unseen;
 * - the call: the X-Road SOAP request written by hand on a keep-alive socket; the answer's
 *   reference, issue date and document read with regular expressions, the document decoded;
 * - after it, one durable write: the journal's finish; the provider call's record and its audit
 *   record; the extract sealed (AES-256-GCM, hub/documents/chunks.ts) with its SHA-256, its row,
 *   its chunk and its verification code's HMAC (hub/documents/codes.ts); `provider-completed`
 *   with the results and `ready-for-pickup` (two steps, two events, two audit records); one log
 *   line.
 * The order is kept in memory between its writes (no re-read). Not done: Node-RED, Fastify,
 * the embedded bus and its processed records (a restart would find unfinished orders from the
 * journal), resilience policies, metrics, tracing; nothing checks a result against the service's
 * result schema (the canned extract has no data part).
 * Every request is logged once when answered, as the gateway logs it, besides the lines above.
 *
 * WASL_WORK_FLOOR=intake (bench:intake): the intake alone, the orders kept and not carried on;
 * WASL_WORK_FLOOR=gateway: the intake's checks and answer with nothing stored (bench:intake's
 * "gateway alone" does the same with the hub's gateway over a store that keeps nothing).
 * Env: WASL_DATA_DIR, MINISTRY_URL (not for intake or gateway), WASL_CHANNEL_KEYS (the bench
 * channel, as the hub reads it), WASL_BENCH_CPU_PROFILE (a file: the process profiled there).
 */
import http, { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import type { Order, OrderRequest, OrderStatus, TimelineEvent } from '../../contracts/types';
import { createAjv, ref } from '../../contracts';
import { AuditKeys } from '../../hub/audit/keys';
import { DEFAULT_SHARDS, linkAll, shardsOf, type AuditEntry } from '../../hub/audit/chain';
import { stepEntry } from '../../hub/audit/entries';
import type { ChannelKey } from '../../hub/config';
import { sealChunk } from '../../hub/documents/chunks';
import { codeHash, derivedCode } from '../../hub/documents/codes';
import { newDocumentId } from '../../hub/documents/encrypted';
import { buildOrder, requestHash } from '../../hub/intake';
import { eventFor, planTransition, splitOrder, type OrderDoc } from '../../hub/store/order-records';
import { loadCatalogue } from '../lib/order';
import { serveAsChild } from '../lib/child';
import { startProfile } from '../lib/cpu-profile';
import { post } from '../lib/ministry';
import { envelope, ministryInput, SOAP_HEADERS } from './envelope';
import { postgresRecords, sqliteRecords, type Records, type Seen, type Statement } from './work-records';

const CONCURRENCY = 50;
const PROVIDER = 'moi-civil-registry';
const OPERATION = 'IssueIndividualExtract';
const ministryUrl = process.env.MINISTRY_URL as string;
const [channel] = JSON.parse(process.env.WASL_CHANNEL_KEYS as string) as ChannelKey[];
const channelDigest = createHash('sha256').update(channel!.key).digest();
const dataDir = process.env.WASL_DATA_DIR as string;
const MODE = (process.env.WASL_WORK_FLOOR ?? 'full') as 'full' | 'intake' | 'gateway';
if (!['full', 'intake', 'gateway'].includes(MODE)) throw new Error(`WASL_WORK_FLOOR=${MODE}: full, intake or gateway`);

const log = pino({ level: 'info' });
const catalogue = loadCatalogue();
const validateRequest = createAjv().getSchema(ref('order', 'OrderRequest'));
if (!validateRequest) throw new Error('no OrderRequest schema');
const auditKeys = AuditKeys.from({ secret: 'bench-work-floor-secret' });
const documentKey = randomBytes(32);
const codeKey = randomBytes(32);

/** The audit trail's shards, as the hub's (WASL_AUDIT_SHARDS, else its default). */
const SHARDS = Number(process.env.WASL_AUDIT_SHARDS) || DEFAULT_SHARDS;
// DATABASE_URL: on PostgreSQL (bench:scale), else on SQLite in WASL_DATA_DIR.
const records: Promise<Records> = process.env.DATABASE_URL ? postgresRecords(process.env.DATABASE_URL, SHARDS, CONCURRENCY + 8) : Promise.resolve(sqliteRecords(join(dataDir, 'wasl.db')));

const SQL = {
  insertKey: 'INSERT INTO idempotency_keys (channel_id, key, request_hash, order_id, created_at) VALUES (?, ?, ?, ?, ?)',
  insertOrder: 'INSERT INTO orders (id, service_code, channel_id, status, doc) VALUES (?, ?, ?, ?, ?)',
  updateOrder: 'UPDATE orders SET status = ?, doc = ? WHERE id = ?',
  insertStep: 'INSERT INTO order_timeline (order_id, seq, doc) VALUES (?, ?, ?)',
  insertEvent: 'INSERT INTO outbox (event_id, order_id, type, service_code, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  insertAudit: 'INSERT INTO audit_log (shard, shard_seq, at, kind, actor, subject, data, prev, hash, mac, key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  setHead: 'INSERT INTO audit_heads (shard, shard_seq, hash) VALUES (?, ?, ?) ON CONFLICT (shard) DO UPDATE SET shard_seq = excluded.shard_seq, hash = excluded.hash',
  journalStart: "INSERT INTO step_journal (order_id, step, status, attempts, started_at) VALUES (?, ?, 'started', 1, ?)",
  journalFinish: 'UPDATE step_journal SET status = ?, outcome = ?, finished_at = ? WHERE order_id = ? AND step = ?',
  insertCall:
    'INSERT INTO provider_calls (provider, operation, order_id, endpoint, started_at, finished_at, duration_ms, outcome, status, attempts, request_bytes, response_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)',
  insertDocument:
    'INSERT INTO documents (id, order_id, media_type, provider, operation, source, size, sha256, chunks, key_id, created_at, stored_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)',
  insertChunk: 'INSERT INTO document_chunks (document_id, idx, iv, tag, ct) VALUES (?, 0, ?, ?, ?)',
  insertCode: 'INSERT INTO document_codes (code_hash, document_id, type, issuer, issued_at, created_at) VALUES (?, ?, ?, ?, ?, ?)',
};

/** One write: `entries` chained from their shards' heads as the store does it, after what `build` adds. */
function write<T>(entries: () => AuditEntry[], build: (out: Statement[], seen: Seen) => T, key?: [string, string]): Promise<T> {
  return records.then((r) =>
    r.write({ shards: shardsOf(entries(), SHARDS), ...(key ? { key } : {}) }, (seen) => {
      const statements: Statement[] = [];
      const value = build(statements, seen);
      const { records: chained, heads } = linkAll(entries(), SHARDS, (shard) => seen.heads.get(shard), auditKeys);
      for (const c of chained) statements.push([SQL.insertAudit, [c.shard, c.shardSeq, c.at, c.kind, c.actor, c.subject, JSON.stringify(c.data), c.prev, c.hash, c.mac, c.keyId]]);
      for (const h of heads) statements.push([SQL.setHead, [h.shard, h.shardSeq, h.hash]]);
      return { statements, value };
    }),
  );
}

/** The order's status changed: its row, its step and the step's event. */
function step(out: Statement[], doc: OrderDoc, s: TimelineEvent): void {
  const event = eventFor(doc, s);
  out.push([SQL.updateOrder, [doc.status, JSON.stringify(doc), doc.id]]);
  out.push([SQL.insertStep, [doc.id, s.seq, JSON.stringify(s)]]);
  out.push([SQL.insertEvent, [event.id, doc.id, event.type, event.service, JSON.stringify(event), s.at]]);
}

interface Work {
  doc: OrderDoc;
  lastSeq: number;
  input: Record<string, unknown>;
}

const SYSTEM = { kind: 'system', id: 'work-floor' } as const;

/** The next status, planned now (its audit entry known before the write locks its shard). */
function advance(work: Work, to: OrderStatus, patch?: Parameters<typeof planTransition>[2]['patch']): { entry: AuditEntry; add: (out: Statement[]) => void } {
  const { doc, step: s } = planTransition(work.doc, work.lastSeq, { to, actor: SYSTEM, ...(patch ? { patch } : {}) });
  work.doc = doc;
  work.lastSeq = s.seq;
  return { entry: stepEntry(doc, s), add: (out) => step(out, doc, s) };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const TAGS = Object.fromEntries(['extractReference', 'issuedAt', 'content'].map((n) => [n, new RegExp(`<cr:${n}>([^<]*)</cr:${n}>`)]));
const tag = (xml: string, name: string) => TAGS[name]!.exec(xml)?.[1];

async function complete(work: Work): Promise<void> {
  const id = work.doc.id;
  const startedAt = new Date().toISOString();
  const submitted = advance(work, 'submitted-to-provider');
  await write(
    () => [submitted.entry],
    (out) => {
      submitted.add(out);
      out.push([SQL.journalStart, [id, OPERATION, startedAt]]);
    },
  );
  const request = envelope(randomUUID(), work.input, id);
  const t0 = Date.now();
  const answer = await post(ministryUrl, request, SOAP_HEADERS, agent);
  const finishedAt = new Date().toISOString();
  const durationMs = Date.now() - t0;
  if (answer.status !== 200) throw new Error(`ministry answered ${answer.status}`);
  const reference = tag(answer.body, 'extractReference');
  const issuedAt = tag(answer.body, 'issuedAt');
  const content = tag(answer.body, 'content');
  if (!reference || !issuedAt || !content || !/^[A-Za-z0-9+/]*={0,2}$/.test(content)) throw new Error('no extract in the answer');
  const pdf = Buffer.from(content, 'base64');
  const sha256 = createHash('sha256').update(pdf).digest('hex');
  const documentId = newDocumentId();
  const sealed = sealChunk(documentKey, documentId, 0, pdf, { size: pdf.length, sha256 });
  const about = { type: 'civil-registry-extract', issuer: PROVIDER, issuedAt };
  const code = codeHash(codeKey, derivedCode(codeKey, documentId, about).replace(/-/g, ''));
  const expires = new Date(Date.now() + 90 * 86_400_000).toISOString();
  const [requestBytes, responseBytes] = [Buffer.byteLength(request), Buffer.byteLength(answer.body)];
  const call: AuditEntry = {
    at: startedAt,
    kind: 'provider.call',
    actor: 'system:connector',
    subject: id,
    data: { provider: PROVIDER, operation: OPERATION, endpoint: ministryUrl, outcome: 'ok', status: 200, attempts: 1, durationMs, requestBytes, responseBytes },
  };
  const results = { documents: [{ type: about.type, reference: documentId, issuedAt, issuer: PROVIDER, sha256 }], providerReferences: [{ provider: PROVIDER, operation: OPERATION, reference }] };
  const completed = advance(work, 'provider-completed', { results });
  const pickup = advance(work, 'ready-for-pickup');
  await write(
    () => [call, completed.entry, pickup.entry],
    (out) => {
      out.push([SQL.journalFinish, ['succeeded', JSON.stringify({ reference }), finishedAt, id, OPERATION]]);
      out.push([SQL.insertCall, [PROVIDER, OPERATION, id, ministryUrl, startedAt, finishedAt, durationMs, 'ok', 200, requestBytes, responseBytes]]);
      out.push([SQL.insertDocument, [documentId, id, 'application/pdf', PROVIDER, OPERATION, 'provider', pdf.length, sha256, 'bench', finishedAt, finishedAt, expires]]);
      out.push([SQL.insertChunk, [documentId, sealed.iv, sealed.tag, sealed.ct]]);
      out.push([SQL.insertCode, [code, documentId, about.type, about.issuer, issuedAt, finishedAt]]);
      completed.add(out);
      pickup.add(out);
    },
  );
  log.info({ orderId: id, status: work.doc.status }, 'order ready for pickup');
}

const ready: Work[] = [];
let running = 0;
function pump(): void {
  while (running < CONCURRENCY && ready.length) {
    const work = ready.shift() as Work;
    running++;
    complete(work)
      .catch((err: unknown) => log.error({ orderId: work.doc.id, err: (err as Error).message }, 'order failed'))
      .finally(() => {
        running--;
        pump();
      });
  }
}

/** 202 with the order (a replay answers with the order first accepted in the hub; here with this one, the same size). */
function accepted(res: ServerResponse, order: Order): void {
  const text = JSON.stringify(order);
  res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), location: `/v1/orders/${order.id}` });
  res.end(text);
  log.info({ orderId: order.id, service: order.service.code }, 'order accepted');
}

function refuse(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ status }));
}

function authenticated(req: IncomingMessage): boolean {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  return !!m && timingSafeEqual(createHash('sha256').update(m[1]!).digest(), channelDigest);
}

function intake(req: IncomingMessage, res: ServerResponse, body: string): void {
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string') return refuse(res, 400);
  let request: OrderRequest;
  try {
    request = JSON.parse(body) as OrderRequest;
  } catch {
    return refuse(res, 400);
  }
  if (!validateRequest!(request)) return refuse(res, 422);
  let order: Order;
  try {
    order = buildOrder(request, channel!, catalogue, 'sandbox');
  } catch {
    return refuse(res, 422);
  }
  const hash = requestHash(request);
  const { doc, timeline } = splitOrder(order);
  if (MODE === 'gateway') return accepted(res, order);
  const entries = timeline.map((s) => stepEntry(doc, s));
  write(
    () => entries,
    (out, seen) => {
      if (seen.key) return seen.key.request_hash === hash ? seen.key.order_id : undefined;
      out.push([SQL.insertOrder, [doc.id, doc.service.code, doc.channel.id, doc.status, JSON.stringify(doc)]]);
      for (const s of timeline) {
        const event = eventFor(doc, s);
        out.push([SQL.insertStep, [doc.id, s.seq, JSON.stringify(s)]]);
        out.push([SQL.insertEvent, [event.id, doc.id, event.type, event.service, JSON.stringify(event), s.at]]);
      }
      out.push([SQL.insertKey, [channel!.channel, key, hash, doc.id, doc.createdAt]]);
      return doc.id;
    },
    [channel!.channel, key],
  ).then(
    (id) => {
      if (id === undefined) return refuse(res, 409);
      accepted(res, order);
      if (id !== doc.id || MODE === 'intake') return;
      ready.push({ doc, lastSeq: timeline[timeline.length - 1]!.seq, input: ministryInput(request) });
      pump();
    },
    () => refuse(res, 503),
  );
}

let requests = 0;
const server = createServer((req, res) => {
  const reqId = `req-${(++requests).toString(36)}`;
  const t0 = performance.now();
  res.on('finish', () => log.info({ reqId, res: { statusCode: res.statusCode }, responseTime: performance.now() - t0 }, 'request completed'));
  if (req.method !== 'POST' || req.url !== '/v1/orders') return refuse(res, 404);
  if (!authenticated(req)) return refuse(res, 401);
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => intake(req, res, Buffer.concat(chunks).toString('utf8')));
});

// WASL_BENCH_CPU_PROFILE=<file>: profiled as the hub child is (bench/lib/cpu-profile.ts).
const profileTo = process.env.WASL_BENCH_CPU_PROFILE;
void Promise.all([records, profileTo ? startProfile() : undefined]).then(([opened, writeProfile]) => {
  // bench:scale asks each wasl process for its round trips to the store.
  process.on('message', (m) => m === 'stats' && process.send?.({ stats: { queries: opened.queries } }));
  serveAsChild(server, async () => {
    if (writeProfile && profileTo) await writeProfile(profileTo);
    await opened.close();
  });
});
