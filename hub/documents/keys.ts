/**
 * The document store's keys, none of which the database holds. Three, each derived with
 * HKDF-SHA256 under a label of its own, so that none of them is a key wasl uses elsewhere (the
 * audit trail's, the exchange bodies', the editor's credentials') and learning one says nothing of
 * the others or of their source:
 *
 * - `content` ('documents-v1'): AES-256-GCM over the documents' chunks;
 * - `codes` ('documents-codes-v1'): HMAC-SHA256 under which verification codes are stored, so
 *   the rows are not a list of valid codes (hub/documents/codes.ts);
 * - `links` ('documents-links-v1'): HMAC-SHA256 signing the short-lived download links.
 *
 * Their source is WASL_SECRET; without it (the sandbox) a random 32-byte key made once and kept in
 * the data directory as `document-key` (0600), as hub/audit/keys.ts does for the audit chain, so
 * documents stored before a restart still open after it. Changing WASL_SECRET makes every stored
 * document unreadable (its `key_id` tells which key sealed it) and every link and code invalid:
 * there is no rotation yet.
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from '../private-files';

const SALT = 'wasl';
const CONTENT_INFO = 'documents-v1';
const CODES_INFO = 'documents-codes-v1';
const LINKS_INFO = 'documents-links-v1';
/** The sandbox's key file, in the data directory. */
export const SANDBOX_KEY_FILE = 'document-key';

export interface DocumentKeySources {
  /** WASL_SECRET. */
  secret?: string;
  /** Where the sandbox keeps its random key when there is no secret. */
  dataDir?: string;
}

const derive = (material: string | Buffer, info: string) => Buffer.from(hkdfSync('sha256', material, SALT, info, 32));

export class DocumentKeys {
  /** Names the content key without telling anything of it: the first 16 hex digits of an HMAC of a fixed label. */
  readonly keyId: string;

  private constructor(
    readonly content: Buffer,
    readonly codes: Buffer,
    readonly links: Buffer,
  ) {
    this.keyId = createHmac('sha256', content).update('wasl documents key id').digest('hex').slice(0, 16);
  }

  private static fromMaterial(material: string | Buffer): DocumentKeys {
    return new DocumentKeys(derive(material, CONTENT_INFO), derive(material, CODES_INFO), derive(material, LINKS_INFO));
  }

  /** From WASL_SECRET, else the sandbox's key file in `dataDir` (made when missing). */
  static from(src: DocumentKeySources): DocumentKeys {
    if (src.secret) return DocumentKeys.fromMaterial(src.secret);
    if (src.dataDir) return DocumentKeys.fromMaterial(sandboxKey(src.dataDir));
    throw new Error('the document store needs a key: WASL_SECRET, or a data directory to keep the sandbox key in');
  }

  /** Keys of this process alone (tests). */
  static ephemeral(): DocumentKeys {
    return DocumentKeys.fromMaterial(randomBytes(32));
  }
}

function sandboxKey(dataDir: string): Buffer {
  const file = join(dataDir, SANDBOX_KEY_FILE);
  const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (/^[0-9a-f]{64}$/.test(kept)) return Buffer.from(kept, 'hex');
  const key = randomBytes(32);
  writePrivateFile(file, `${key.toString('hex')}\n`);
  return key;
}
