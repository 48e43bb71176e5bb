/**
 * The check wasl-order-update makes before an order's results name stored documents: a flow
 * builds `results.documents` itself (a wasl-map expression, a function node), so what it says of a
 * document — which one, its SHA-256 — is a claim the hub checks against its document store, not
 * a fact it records. Otherwise a flow could give an order a document the ministry never sent (a
 * handle of another order, a made-up hash), and the timeline and the audit trail would vouch for it.
 *
 * An entry is checked when it carries a `sha256` (it says it is a stored document) or when its
 * `reference` is the id of a stored document (it is one, and must then say its hash, so the
 * order's record always has it). The document must exist, hash to the entry's `sha256`, and have
 * been received for this order (its origin's orderId: the connectors set it from the call).
 * Other entries (a ministry's own reference, with no content in wasl) are recorded as they are.
 * Free of Node-RED: the node turns a failure into its typed error and localised message.
 */
import type { Document } from '../../contracts/types';
import type { DocumentInfo } from '../../hub/runtime/context';

export type OrderDocumentFailure =
  /** An entry carries a sha256 but the hub has no document store to check it against. */
  | 'document-store-missing'
  /** Its reference is no stored document. */
  | 'document-not-found'
  /** The stored document's SHA-256 is not the entry's. */
  | 'document-hash-mismatch'
  /** The reference names a stored document, but the entry does not say its SHA-256. */
  | 'document-hash-missing'
  /** The stored document was received for another order. */
  | 'document-other-order';

export interface OrderDocumentProblem {
  code: OrderDocumentFailure;
  /** Index in results.documents: the message names the entry, never its values. */
  index: number;
}

/** What the check reads of the store: a document's metadata, without its content. */
export interface DocumentLookup {
  info(id: string): Promise<DocumentInfo | undefined>;
}

/** The first entry that does not hold, or undefined when all do. `seen` collects what was read of each stored document, by id. */
export async function checkOrderDocuments(store: DocumentLookup | undefined, orderId: string, documents: readonly Document[] | undefined, seen?: Map<string, DocumentInfo>): Promise<OrderDocumentProblem | undefined> {
  if (!documents?.length) return undefined;
  for (const [index, d] of documents.entries()) {
    if (!store) {
      if (d.sha256 !== undefined) return { code: 'document-store-missing', index };
      continue;
    }
    const info = await store.info(d.reference);
    if (!info) {
      if (d.sha256 !== undefined) return { code: 'document-not-found', index };
      continue;
    }
    seen?.set(info.id, info);
    if (d.sha256 === undefined) return { code: 'document-hash-missing', index };
    if (info.sha256 !== d.sha256) return { code: 'document-hash-mismatch', index };
    const receivedFor = info.orderId ?? info.origin.orderId;
    if (receivedFor !== orderId) return { code: 'document-other-order', index };
  }
  return undefined;
}
