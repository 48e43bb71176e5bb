/**
 * The store as a DocumentSource (connectors/documents.ts): what a connector reads a stored
 * document back through, to send it on in a request (an MTOM part, inline base64). The media type
 * and size are the stored ones; the content is checked chunk by chunk as it is read (open).
 */
import type { DocumentSource } from '../../connectors/documents';
import type { DocumentStore } from './store';

export function documentSource(store: Pick<DocumentStore, 'open' | 'info'>): DocumentSource {
  return {
    async open(id) {
      // open() first: it throws the typed reason (not found, purged, corrupt) before info is read.
      const stream = await store.open(id);
      const info = await store.info(id);
      if (!info) {
        stream.destroy();
        throw new Error(`document ${id} vanished while being opened`);
      }
      return { stream, mediaType: info.mediaType, size: info.size };
    },
  };
}
