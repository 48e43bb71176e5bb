/**
 * Why a contract could not be compiled. Import-time errors, so not ConnectorErrors: they never
 * happen during a call. Messages name files, namespaces and components — never data. Every code
 * is documented in docs/import-errors.md (test/connectors/import/import-errors.test.ts checks).
 */
import type { ReferenceRefusal } from '../../contract-references';

export interface MissingSchema {
  /** The import's namespace ('' for an include or an import without one). */
  namespace: string;
  /** The schemaLocation (or wsdl:import location) as written. */
  location: string;
  /** The document that refers to it (file name or URL). */
  from: string;
}

export type WsdlErrorCode = 'wsdl-invalid' | 'wsdl-unresolved' | 'wsdl-unsupported' | 'wsdl-unreachable' | 'wsdl-select' | 'wsdl-refused';

export const WSDL_ERROR_CODES: readonly WsdlErrorCode[] = ['wsdl-invalid', 'wsdl-unresolved', 'wsdl-unsupported', 'wsdl-unreachable', 'wsdl-select', 'wsdl-refused'];

export class WsdlError extends Error {
  /** For `wsdl-refused`: which rule refused which reference (connectors/contract-references.ts). */
  readonly refusal?: ReferenceRefusal;

  constructor(
    readonly code: WsdlErrorCode,
    message: string,
    readonly missing: MissingSchema[] = [],
    opts?: { cause?: unknown; refusal?: ReferenceRefusal },
  ) {
    super(message, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'WsdlError';
    if (opts?.refusal) this.refusal = opts.refusal;
  }
}

export function isWsdlError(err: unknown): err is WsdlError {
  return err instanceof WsdlError;
}
