/**
 * A scenario's `expect.documents`: the order ends holding each document, really received — an
 * entry of results.documents of the type, whose reference is a document the hub's store kept for
 * this order, with the entry's SHA-256 and the media type expected. The media type the store has
 * is the one the provider declared; the first bytes are read too (for the types whose signature
 * is known), so a simulator or a mapping that says "application/pdf" over something else fails.
 */
import type { Order } from '../../contracts/types';
import { MEDIA_SIGNATURES } from '../../connectors/documents';
import type { DocumentStore } from '../../hub/documents/store';
import type { Difference } from './results';

export type ExpectedDocument = { type: string; mediaType?: string };

/** The differences between the documents expected and those the order holds; none when they match. */
export async function documentDifferences(expected: readonly ExpectedDocument[] | undefined, order: Order, store: Pick<DocumentStore, 'info' | 'open'> | undefined): Promise<Difference[]> {
  if (!expected?.length) return [];
  const diffs: Difference[] = [];
  const held = order.results?.documents ?? [];
  for (const [i, want] of expected.entries()) {
    const what = `documents[${i}]`;
    const entry = held.find((d) => d.type === want.type);
    if (!entry) {
      diffs.push({ what, expected: want, actual: held.length ? held.map((d) => d.type) : 'no documents' });
      continue;
    }
    if (!store) {
      diffs.push({ what, expected: want, actual: 'the hub keeps no documents (no document store)' });
      continue;
    }
    const info = await store.info(entry.reference);
    const problem = !info
      ? 'its reference is not a stored document'
      : entry.sha256 !== info.sha256
        ? `its sha256 is ${entry.sha256 ?? 'missing'}, the stored document's ${info.sha256}`
        : (info.orderId ?? info.origin.orderId) !== order.id
          ? 'the stored document was received for another order'
          : want.mediaType !== undefined && info.mediaType !== want.mediaType
            ? `its media type is ${info.mediaType}`
            : want.mediaType !== undefined
              ? await signatureProblem(store, entry.reference, want.mediaType)
              : undefined;
    if (problem) diffs.push({ what, expected: want, actual: problem });
  }
  return diffs;
}

/** Whether the stored content starts as its media type's do; undefined when it does (or the type has no known signature). */
async function signatureProblem(store: Pick<DocumentStore, 'open'>, id: string, mediaType: string): Promise<string | undefined> {
  const signature = MEDIA_SIGNATURES[mediaType];
  if (!signature) return undefined;
  let stream;
  try {
    stream = await store.open(id);
  } catch (err) {
    return `it cannot be read: ${(err as { code?: string }).code ?? (err as Error).message}`;
  }
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      head = Buffer.concat([head, chunk as Buffer]);
      if (head.length >= signature.length) break;
    }
  } catch (err) {
    return `it cannot be read: ${(err as { code?: string }).code ?? (err as Error).message}`;
  } finally {
    stream.destroy();
  }
  return head.subarray(0, signature.length).equals(signature) ? undefined : `its content does not start as ${mediaType} does`;
}
