/**
 * What an importer (WSDL or OpenAPI) produces from a contract, before it is written to
 * contracts/providers/<code>/ by connectors/import/write.ts.
 */
import type { ProviderDefinition } from '../../contracts/types';

export interface ImportedOperation {
  name: string;
  description?: string;
  /** JSON Schema 2020-12 of the operation's input and output, self-contained ($defs inside). */
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  /** Transport details the connector needs at run time (SOAPAction, style, method, path…). */
  binding: Record<string, unknown>;
  idempotent: boolean;
}

export interface ImportedContract {
  kind: 'soap' | 'rest';
  contractType: 'wsdl' | 'openapi';
  /** Files to copy under contract/: the main contract first, then every resolved schema, by relative path. */
  files: Array<{ path: string; content: string }>;
  operations: ImportedOperation[];
  /** Endpoints found in the contract (WSDL soap:address, OpenAPI servers). */
  endpoints: string[];
  /** What the provider file should say beyond the defaults (service/port, security schemes found…). */
  provider: Partial<ProviderDefinition>;
  /** Non-fatal findings: unresolved schemas imported leniently, unsupported constructs… */
  warnings: string[];
}
