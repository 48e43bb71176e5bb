/**
 * What wasl's Node-RED nodes reach of the hub they run in: the store (orders, the state machine,
 * the step journal), the workers (where order-in nodes subscribe to the bus), the environment
 * and where provider contracts live. Set once by the hub before Node-RED starts its flows; the
 * nodes' tests set one of their own.
 *
 * It is the boundary between the hub and the nodes: nodes/ import from hub/ only this module,
 * which also hands them the hub's functions they call (below); hub/ imports nothing of nodes/.
 */
import type { DocumentStore } from '../documents/store';
import type { Catalogue } from '../catalogue';
import type { Logger } from '../log';
import type { PaymentDesk } from '../payments/desk';
import type { PostDesk } from '../payments/post';
import type { OrderStore, StepJournal } from '../store';
import type { Workers } from '../workers';
import type { WaslEnv } from '../config';

export interface HubContext {
  /** Orders (wasl-order-in reads them, wasl-order-update moves them) and the step journal (wasl-call). */
  store: OrderStore & StepJournal;
  workers: Workers;
  env: WaslEnv;
  /** contracts/providers, or a test's folder. */
  providersRoot: string;
  logger: Logger;
  /** Payments (wasl-payment) and the post (wasl-postal); absent in tests that do not need them. */
  payments?: PaymentDesk;
  post?: PostDesk;
  /** The service definitions, for flows shared by a pattern of services (service.json `flow`). */
  catalogue?: Catalogue;
  /**
   * The hub's encrypted document store (hub/documents/): the sink the connectors stream the
   * documents of a provider's answers into (wasl-call), and where wasl-order-update finds a
   * handle's SHA-256. Absent in tests that do not need it.
   */
  documents?: DocumentStore;
}

let current: HubContext | undefined;

export function setHubContext(ctx: HubContext | undefined): void {
  current = ctx;
}

export function hubContext(): HubContext {
  if (!current) throw new Error('wasl nodes run only inside a wasl hub (no hub context is set)');
  return current;
}

// What the nodes call of the hub, besides the context itself.
/** Bus deliveries a flow carries out: tracked by order-in, completed by the node that stores the step (deliveries.ts). */
export { completeDelivery, deliveriesInFlight, failOwnedBy, FlowStoppedError, installDeliveryHooks, settlementOf, trackDelivery, type DeliveryMessage, type WaslMessageMeta } from './deliveries';
/** The per-service subscriptions order-in nodes register with (dispatcher.ts). */
export { dispatcherFor } from './dispatcher';
export { DeadLetterError, takeOrder, type Delivery } from '../bus/bus';
/** Exactly once per order and step (journal.ts): wasl-call's calls, the payment and postal steps' errors. */
export { recordFailure, RecordedStepFailure, runStepOnce, type RecordedFailure } from '../journal';
/** Schema errors as JSON pointers and texts in English and Arabic, never the values (wasl-validate, wasl-map). */
export { fieldErrors } from '../field-errors';
export { ORDER_STATUSES } from '../state-machine';
/** How long a service's documents are kept (wasl-call hands the connectors `documents.withRetention(retentionFor(definition))`). */
export { retentionFor } from '../documents/retention';
/** The verification codes of an order's kept documents, issued when wasl-order-update stores them. */
export { verificationsOf } from '../documents/verification';
/** Result data checked against the service's declaration, and a provider's refusal as the citizen reads it (wasl-order-update). */
export { checkResultData, rejectionFor } from '../order-outcome';
/** The document store as the connectors read documents back through (wasl-provider), and its types (wasl-order-update). */
export { documentSource } from '../documents/source';
export type { DocumentInfo, DocumentStore, Retention } from '../documents/store';
