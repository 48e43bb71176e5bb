/**
 * What the payment and postal nodes share: their typed error, the message's order, and the end
 * of a step. Here, not in wasl-payment.ts: under the production loader a sibling node module
 * resolves to its two-line .js shim, which exports only the node's registration.
 */
import { recordFailure } from '../../hub/runtime/context';
import type { NodeMessage } from './node-red';

/**
 * The error a payment or postal node reports: its `code` is an own field, so Node-RED copies it
 * to a Catch node's msg.error.code (a getter, as on a journal's recorded failure, would be lost).
 * Safe fields of the desk's error (reason, provider, operation…) come along; never the
 * provider's own text.
 */
export class DeskStepError extends Error {
  readonly code: string;
  constructor(code: string, message: string, fields: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DeskStepError';
    this.code = code;
    for (const [k, v] of Object.entries(fields)) if (!(k in this) && v !== undefined) Object.defineProperty(this, k, { value: v, enumerable: true });
  }
}

/** Any error a desk threw, as a DeskStepError. */
export function deskStepError(err: unknown): DeskStepError {
  if (err instanceof DeskStepError) return err;
  const { code, message, ...fields } = recordFailure(err);
  delete fields.providerMessage;
  return new DeskStepError(code, message, fields);
}

/** Ends a node's step: done(), or the error as a DeskStepError shown in red and given to done(). */
export function settleStep(step: Promise<void>, node: { status(s: object): void }, done: (err?: unknown) => void): void {
  step.then(
    () => done(),
    (err: unknown) => {
      const e = deskStepError(err);
      node.status({ fill: 'red', shape: 'ring', text: e.code });
      done(e);
    },
  );
}

/** The message's order: msg.wasl.orderId (from an order-in node), else msg.payload.id. */
export function orderIdOf(msg: NodeMessage): string | undefined {
  const fromEvent = msg.wasl?.orderId;
  if (typeof fromEvent === 'string' && fromEvent) return fromEvent;
  const p = msg.payload as { id?: unknown } | undefined;
  return typeof p?.id === 'string' && p.id ? p.id : undefined;
}

