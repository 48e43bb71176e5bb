/**
 * wasl-call: calls one operation of a provider, through its wasl-provider config node's shared
 * connector, exactly once per order step: the call runs under runStepOnce (hub/journal.ts), so a
 * redelivered message gets the recorded outcome instead of asking the ministry again, and the
 * connector gets the step's idempotency key and the order id.
 *
 * In: the input at `input` (default msg.payload); the order id at `orderIdProperty`, else
 * msg.orderId, else msg.payload.orderId. Out: the output in msg.payload, the call's summary in
 * msg.wasl. Documents in the answer (a PDF the ministry sends) are in msg.payload as handles, where
 * the contract has their content — the provider's wasl-provider node streams them into the hub's
 * document store, for this order — and msg.wasl.documents lists them all, so a flow finds them
 * without knowing where each contract puts its content. A typed error ends in done(err) whose `code` a Catch node reads as msg.error.code;
 * its safe fields (reason, provider code, status…) are in msg.wasl.error.
 */
import type { Connector } from '../connectors/connector';
import { isDocumentHandle, type DocumentHandle } from '../connectors/documents';
import { hubContext, recordFailure, RecordedStepFailure, runStepOnce, type RecordedFailure } from '../hub/runtime/context';
import { cachedTranslator } from './lib/i18n';
import { short, type NodeAPI, type NodeDef, type Node, type NodeMessage } from './lib/node-red';
import type { ProviderConfigNode } from './lib/provider-connector';

/** What the journal keeps of a call, and msg.wasl shows. */
interface CallOutcome {
  output: unknown;
  status: number;
  attempts: number;
  durationMs: number;
}

/** An error Node-RED hands to Catch nodes with its own `code` (a getter or a prototype field would be lost). */
class CallFailed extends Error {
  readonly code: string;
  readonly details: RecordedFailure;
  constructor(details: RecordedFailure) {
    super(details.message);
    this.name = 'CallFailed';
    this.code = details.code;
    this.details = details;
    // Own, safe fields for whoever gets the error object (reason, providerCode, status, faultCode…).
    for (const [k, v] of Object.entries(details)) if (!(k in this)) Object.defineProperty(this, k, { value: v, enumerable: true });
  }
}

function failureOf(err: unknown): RecordedFailure {
  if (err instanceof RecordedStepFailure) return { ...err.recorded };
  const r = recordFailure(err);
  // Never a provider's own text (it may carry citizens' data).
  delete r.providerMessage;
  return r;
}

/** The document handles in an output, in document order (a bounded walk: outputs are small once documents are handles). */
export function handlesIn(value: unknown, out: DocumentHandle[] = [], depth = 0): DocumentHandle[] {
  if (depth > 32 || typeof value !== 'object' || value === null) return out;
  if (isDocumentHandle(value)) {
    out.push(value);
    return out;
  }
  for (const v of Array.isArray(value) ? value : Object.values(value)) handlesIn(v, out, depth + 1);
  return out;
}

function orderIdOf(RED: NodeAPI, msg: NodeMessage, prop: string): unknown {
  if (prop) return RED.util.getMessageProperty(msg, prop);
  if (msg.orderId !== undefined) return msg.orderId;
  const p = msg.payload as { orderId?: unknown } | undefined;
  return p && typeof p === 'object' ? p.orderId : undefined;
}

export default function register(RED: NodeAPI): void {
  const t = cachedTranslator(RED);
  RED.nodes.registerType('wasl-call', function WaslCall(this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const provider = RED.nodes.getNode(String(def.provider ?? '')) as ProviderConfigNode | null;
    const fromDefinition = def.operationFrom === 'definition';
    const fixedOperation = String(def.operation ?? '');
    const inputProp = String(def.input || 'payload');
    const orderIdProp = String(def.orderIdProperty || '');
    let connector: Connector | undefined;
    let setupError: string | undefined;

    if (!provider) setupError = RED._('wasl-call.errors.no-provider');
    else if (!fixedOperation && !fromDefinition) setupError = RED._('wasl-call.errors.no-operation');
    else {
      try {
        connector = provider.register(node);
        if (!fromDefinition && !connector.operations().some((o) => o.name === fixedOperation)) setupError = RED._('wasl-call.errors.unknown-operation', { provider: provider.code, operation: fixedOperation });
      } catch (err) {
        setupError = (err as Error).message;
      }
    }
    if (setupError) {
      node.status({ fill: 'red', shape: 'ring', text: short(setupError) });
      node.error(setupError);
    } else node.status({});

    node.on('input', async (msg, send, done) => {
      if (!connector || setupError) {
        done(new CallFailed({ code: 'misconfigured', message: setupError ?? 'not configured' }));
        return;
      }
      const orderId = orderIdOf(RED, msg, orderIdProp);
      if (typeof orderId !== 'string' || orderId === '') {
        node.status({ fill: 'red', shape: 'ring', text: RED._('wasl-call.status.no-order') });
        done(new CallFailed({ code: 'order-id-missing', message: RED._('wasl-call.errors.no-order') }));
        return;
      }
      // A flow shared by a pattern of services calls each service's own operation (its definition's provider.operation).
      let operation = fixedOperation;
      if (fromDefinition) {
        const svc = msg.service as { code?: string; provider?: { code?: string; operation?: string } } | undefined;
        const problem = !svc?.provider?.operation
          ? RED._('wasl-call.errors.no-definition')
          : svc.provider.code !== provider!.code
            ? RED._('wasl-call.errors.other-provider', { service: String(svc.code), provider: String(svc.provider.code) })
            : !connector.operations().some((o) => o.name === svc.provider!.operation)
              ? RED._('wasl-call.errors.unknown-operation', { provider: provider!.code, operation: svc.provider.operation })
              : undefined;
        if (problem) {
          node.status({ fill: 'red', shape: 'ring', text: short(problem) });
          done(new CallFailed({ code: 'misconfigured', message: problem }));
          return;
        }
        operation = svc!.provider!.operation!;
      }
      const step = String(def.step || `${provider!.code}.${operation}`);
      const input = RED.util.getMessageProperty(msg, inputProp);
      const c = connector;
      node.status({ fill: 'blue', shape: 'dot', text: t('wasl-call.status.calling') });
      let key: string | undefined;
      try {
        const r = await runStepOnce<CallOutcome>(hubContext().store, orderId, step, async (s) => {
          key = s.idempotencyKey;
          const service = (msg.wasl as { service?: unknown } | undefined)?.service;
          const res = await c.call(operation, input, { orderId, idempotencyKey: s.idempotencyKey, ...(typeof service === 'string' ? { service } : {}) });
          return { output: res.output, status: res.status, attempts: res.attempts, durationMs: res.durationMs };
        });
        msg.payload = r.value.output;
        const documents = handlesIn(r.value.output);
        msg.wasl = { provider: c.provider, operation, step, orderId, environment: c.environment, replayed: r.replayed, status: r.value.status, attempts: r.value.attempts, durationMs: r.value.durationMs, ...(key ? { idempotencyKey: key } : {}), ...(documents.length ? { documents } : {}) };
        node.status({ fill: 'green', shape: 'dot', text: t(r.replayed ? 'wasl-call.status.replayed' : 'wasl-call.status.ok') });
        send(msg);
        done();
      } catch (err) {
        const failure = failureOf(err);
        msg.wasl = { provider: c.provider, operation, step, orderId, environment: c.environment, replayed: err instanceof RecordedStepFailure, error: failure };
        node.status({ fill: 'red', shape: 'dot', text: short(String(failure.reason ?? failure.code)) });
        done(new CallFailed(failure));
      }
    });

    node.on('close', (removed, done) => {
      if (provider && connector) provider.deregister(node, removed, done);
      else done();
    });
  });
}
