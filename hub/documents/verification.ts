/**
 * The verification codes of an order's documents — what the counter's print (the receipt) and the
 * post's label carry, and what GET /v1/documents/verify/{code} answers for. A code is derived from
 * the document and what it attests (hub/documents/codes.ts), so issuing it again — a reprint, a
 * redelivered step, the label after the receipt — gives the same code and writes nothing new.
 */
import type { Document, Order } from '../../contracts/types';
import type { DocumentInfo, DocumentStore } from './store';
import { DocumentError } from './errors';

export interface DocumentVerification {
  type: string;
  reference: string;
  sha256?: string;
  verificationCode: string;
}

/** What the code of an order's document entry attests: its type, issuer and date. */
const attestation = (d: Document) => ({ type: d.type, ...(d.issuer ? { issuer: d.issuer } : {}), issuedAt: new Date(d.issuedAt) });

/**
 * Issues (or gives again) the code of every document of the order that wasl keeps; an entry whose
 * reference is only the provider's (no stored document) has none. `first`: the step that stores
 * the documents, with their metadata as it just checked them (`known`, by id): the codes are most
 * likely new, written without a look first.
 */
export async function verificationsOf(documents: DocumentStore | undefined, order: Pick<Order, 'results'>, first?: { known: ReadonlyMap<string, DocumentInfo> }): Promise<DocumentVerification[]> {
  if (!documents) return [];
  const out: DocumentVerification[] = [];
  for (const d of order.results?.documents ?? []) {
    try {
      const info = first?.known.get(d.reference);
      const verificationCode = await documents.issueVerification(d.reference, attestation(d), first ? { first: true, ...(info ? { info } : {}) } : {});
      out.push({ type: d.type, reference: d.reference, ...(d.sha256 ? { sha256: d.sha256 } : {}), verificationCode });
    } catch (err) {
      if (err instanceof DocumentError && (err.code === 'document-not-found' || err.code === 'document-purged')) continue;
      throw err;
    }
  }
  return out;
}

/** The post label's contents: what the shipment holds and the codes of its documents, within the post's 200 characters. */
export function labelContents(service: string, verifications: readonly DocumentVerification[]): string {
  const codes = verifications.map((v) => v.verificationCode);
  return (codes.length ? `${service} — verify: ${codes.join(' ')}` : service).slice(0, 200);
}
