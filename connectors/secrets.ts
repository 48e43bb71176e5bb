/**
 * Secrets come from the environment, named in the provider file (never written there).
 * `secret('MOI_CR_PASSWORD')` returns the variable's value; a value `file:/path/key.pem` is
 * read from that file instead (for PEM keys and certificates, or mounted secrets), with one
 * trailing line break removed. Any other value is used as it is: a value that merely looks like
 * a path is never read.
 *
 * Errors name the variable, never its value nor the file's content.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

export class SecretError extends Error {
  readonly code = 'secret-unavailable' as const;
  constructor(
    readonly envName: string,
    detail: string,
  ) {
    super(`secret ${envName}: ${detail}`);
    this.name = 'SecretError';
  }
}

const NAME = /^[A-Z][A-Z0-9_]*$/;
const files = new Map<string, { mtimeMs: number; size: number; value: string }>();

export function secret(envName: string): string {
  if (!NAME.test(envName)) throw new TypeError('a secret is named by an environment variable in capitals, digits and _');
  const value = process.env[envName];
  if (value === undefined || value === '') throw new SecretError(envName, 'the environment variable is not set');
  if (!value.startsWith('file:')) return value;
  const path = resolve(value.slice('file:'.length));
  try {
    // Re-read when the file changes (a renewed certificate), not on every call.
    const st = statSync(path);
    const cached = files.get(path);
    if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size) return cached.value;
    const content = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    if (content === '') throw new SecretError(envName, 'the file it names is empty');
    files.set(path, { mtimeMs: st.mtimeMs, size: st.size, value: content });
    return content;
  } catch (err) {
    if (err instanceof SecretError) throw err;
    const code = (err as { code?: unknown }).code;
    throw new SecretError(envName, `the file it names cannot be read (${typeof code === 'string' ? code : 'error'})`);
  }
}
