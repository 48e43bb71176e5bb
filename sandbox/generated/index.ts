/**
 * Simulators generated from contracts: for any imported provider (contracts/providers/<code>),
 * a live SOAP or REST server that follows its contract — see soap.ts and rest.ts — driven per
 * order by the sandbox runner's scenarios (scripts.ts), recording every request.
 */
import { DEFAULT_PROVIDERS_ROOT, loadProvider } from '../../connectors/provider-files';
import type { GeneratedOptions, GeneratedSimulator } from './common';
import { startRestSimulator } from './rest';
import { startSoapSimulator } from './soap';

export type { GeneratedOptions, GeneratedSimulator } from './common';
export { ScenarioScripts, orderOf, type Script, type CallPlan } from './scripts';
export { exampleOf, overlay, contains } from './examples';

export async function startContractSimulator(code: string, opts: GeneratedOptions & { providersRoot?: string }): Promise<GeneratedSimulator> {
  const provider = loadProvider(code, opts.providersRoot ?? DEFAULT_PROVIDERS_ROOT);
  return provider.definition.kind === 'soap' ? startSoapSimulator(provider, opts) : startRestSimulator(provider, opts);
}
