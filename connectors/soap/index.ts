/**
 * The SOAP connector's public face: `createSoapConnector('moi-civil-registry', 'sandbox')` loads
 * contracts/providers/<code>/ and returns a ready connector; the pieces are exported for the
 * CLI (`wasl provider call`), the sandbox simulators and tests.
 */
import type { Environment } from '../connector';
import { loadProvider } from '../provider-files';
import { SoapConnector, type SoapConnectorOptions } from './connector';

export { SoapConnector, type SoapConnectorOptions, type SoapProvider, type SoapProviderSource } from './connector';
export { soapHttpHeaders, envelopeTemplate, buildEnvelope, splitEnvelope, SOAP11_ENV, SOAP12_ENV, type SoapVersion } from './envelope';
export { readFault, faultToError, type SoapFault } from './fault';
export { resolveSecurity, secureEnvelope, passwordDigest, WSSE_NS, WSU_NS } from './security';
export { compileXRoadHeaders, XROAD_NS } from './xroad';

export interface CreateSoapConnectorOptions extends SoapConnectorOptions {
  /** Folder holding contracts/providers/<code>/ (default: the repository's contracts/providers). */
  providersRoot?: string;
}

export function createSoapConnector(code: string, env: Environment = 'sandbox', opts: CreateSoapConnectorOptions = {}): SoapConnector {
  const { providersRoot, ...rest } = opts;
  return new SoapConnector(loadProvider(code, providersRoot), env, rest);
}
