/**
 * The environment the hub runs in (WASL_ENV: `sandbox`, the default, or `production`) and the
 * error a wrong environment variable stops it with. Apart from config.ts, which reads the
 * variables, so that the modules it reads them through (operators.ts: WASL_OPERATORS) need not
 * import it back; config.ts re-exports both.
 */
export type WaslEnv = 'sandbox' | 'production';

/** A variable is missing or wrong: the message names it, never a secret or a hash. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
