/**
 * Why a contract could not be compiled. Import-time errors, so not ConnectorErrors: they never
 * happen during a call. Messages name files, namespaces and components — never data.
 */

export interface MissingSchema {
  /** The import's namespace ('' for an include or an import without one). */
  namespace: string;
  /** The schemaLocation (or wsdl:import location) as written. */
  location: string;
  /** The document that refers to it (file name or URL). */
  from: string;
}

export type WsdlErrorCode = 'wsdl-invalid' | 'wsdl-unresolved' | 'wsdl-unsupported' | 'wsdl-unreachable' | 'wsdl-select';

export class WsdlError extends Error {
  constructor(
    readonly code: WsdlErrorCode,
    message: string,
    readonly missing: MissingSchema[] = [],
    opts?: { cause?: unknown },
  ) {
    super(message, opts);
    this.name = 'WsdlError';
  }
}

export function isWsdlError(err: unknown): err is WsdlError {
  return err instanceof WsdlError;
}
