/**
 * Which simulator the runner starts for a provider (environment.ts), named by its source files:
 * the payment and postal companies have stateful simulators of their own (callbacks, refunds,
 * tracking: ../simulators/<code>.ts); every other provider gets one generated from its contract
 * (../generated/: SOAP or REST). A certificate covers the files of the simulators its service was
 * tested against (../certificate-dependencies.ts), so this is said once, here, for both.
 */

/** Providers with a stateful simulator of their own. */
export const STATEFUL_SIMULATORS = ['sy-epay', 'intl-pay', 'sy-post'] as const;
export type StatefulProvider = (typeof STATEFUL_SIMULATORS)[number];

export const isStateful = (code: string): code is StatefulProvider => (STATEFUL_SIMULATORS as readonly string[]).includes(code);

/**
 * The simulator the runner starts for a provider of this kind (its provider.json's `kind`): how it
 * is made, the files it starts from, relative to sandbox/ (what they import under sandbox/ belongs
 * to it too), and files of it whose imports are another kind's (generated/index.ts starts a SOAP
 * or a REST simulator: a SOAP provider's is not made of the REST one).
 */
export function simulatorSources(code: string, kind: string): { made: 'stateful' | 'generated'; entries: string[]; alone: string[] } {
  if (isStateful(code)) return { made: 'stateful', entries: [`simulators/${code}.ts`], alone: [] };
  return { made: 'generated', entries: [`generated/${kind === 'soap' ? 'soap' : 'rest'}.ts`], alone: ['generated/index.ts'] };
}
