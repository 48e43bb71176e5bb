/**
 * Operators: the people who log in to the flows editor and its admin API, the dashboard and
 * /metrics (their logins: hub/operator-auth.ts, hub/runtime/editor-login.ts). `WASL_OPERATORS`
 * is a JSON array of
 * `{"user": "...", "passwordHash": "scrypt$N$r$p$salt$hash", "role": "viewer"|"operator"|"admin"}`;
 * the hashes are made by `wasl operator hash` (hashPassword): node:crypto scrypt, salt and key in
 * base64. Passwords are never kept in clear anywhere, and no error ever echoes a hash.
 *
 * What each role may do in Node-RED (runtimePermissions): `admin` everything (`*`); `operator`
 * reads everything and, in the sandbox, deploys flows (but adds no function node and changes no
 * function's code: hub/runtime/node-types.ts) and presses inject buttons (in production the
 * editor is off and flows are read-only — they come only from the repository — so it reads);
 * `viewer` reads. Every role has `wasl.read`, which the wasl nodes' editor endpoints ask for.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { createAjv, pointErrors } from '../contracts';
import { ConfigError, type WaslEnv } from './environment';

export type OperatorRole = 'viewer' | 'operator' | 'admin';
export const OPERATOR_ROLES: readonly OperatorRole[] = ['viewer', 'operator', 'admin'];

export interface Operator {
  user: string;
  /** `scrypt$N$r$p$saltB64$hashB64`. */
  passwordHash: string;
  role: OperatorRole;
}

/** The cost used for new hashes: N = 2^15, r = 8, p = 1 (32 MiB, ~50-100 ms), 16-byte salt, 32-byte key. */
export const DEFAULT_SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Bounds on what a hash in the configuration may ask for, so a bad entry cannot exhaust memory. */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

const B64 = '[A-Za-z0-9+/]+={0,2}';
const HASH = new RegExp(`^scrypt\\$([1-9][0-9]{0,7})\\$([1-9][0-9]{0,2})\\$([1-9][0-9]{0,2})\\$(${B64})\\$(${B64})$`);

const operatorsSchema = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['user', 'passwordHash', 'role'],
    properties: {
      user: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$' },
      passwordHash: { type: 'string', pattern: HASH.source, maxLength: 512 },
      role: { enum: OPERATOR_ROLES },
    },
  },
} as const;

const validateOperators = createAjv().compile(operatorsSchema);

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

/** Splits a hash; undefined when it is not one this module can check (form or bounds). */
function parseHash(hash: string): ParsedHash | undefined {
  const m = HASH.exec(hash);
  if (!m) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = Buffer.from(m[4]!, 'base64');
  const key = Buffer.from(m[5]!, 'base64');
  // N a power of two above 1, as scrypt requires.
  if (N < 2 || N > MAX_N || (N & (N - 1)) !== 0 || r > MAX_R || p > MAX_P) return undefined;
  if (salt.length < 8 || key.length < 16 || key.length > 64) return undefined;
  return { N, r, p, salt, key };
}

function derive(password: string, salt: Buffer, keylen: number, o: { N: number; r: number; p: number }): Promise<Buffer> {
  const opts: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: 256 * o.N * o.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

/** A new hash of `password`, in the form WASL_OPERATORS takes. */
export async function hashPassword(password: string, cost: { N: number; r: number; p: number } = DEFAULT_SCRYPT): Promise<string> {
  if (password === '') throw new Error('the password is empty');
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether `password` matches `hash` (constant-time comparison); false for a malformed hash. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const h = parseHash(hash);
  if (!h) return false;
  const key = await derive(password, h.salt, h.key.length, h);
  return timingSafeEqual(key, h.key);
}

/** Parses WASL_OPERATORS; a ConfigError names the variable and the entry, never a hash. */
export function parseOperators(raw: string): Operator[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('WASL_OPERATORS is not valid JSON: expected an array of {"user","passwordHash","role"} (make a hash with `wasl operator hash`)');
  }
  if (!validateOperators(parsed)) {
    const where = pointErrors(validateOperators.errors).map((e) => `${e.pointer} ${e.message}`).join('; ');
    throw new ConfigError(`WASL_OPERATORS is invalid: ${where}`);
  }
  const ops = parsed as Operator[];
  const seen = new Set<string>();
  ops.forEach((o, i) => {
    if (!parseHash(o.passwordHash)) {
      throw new ConfigError(`WASL_OPERATORS is invalid: /${i}/passwordHash is not a usable scrypt hash (N a power of two up to ${MAX_N}, r up to ${MAX_R}, p up to ${MAX_P}); make one with \`wasl operator hash\``);
    }
    const key = o.user.toLowerCase();
    if (seen.has(key)) throw new ConfigError(`WASL_OPERATORS names user "${o.user}" twice`);
    seen.add(key);
  });
  return ops.map((o) => ({ user: o.user, passwordHash: o.passwordHash, role: o.role }));
}

/** Node-RED permissions of a role (see the module comment). */
export function runtimePermissions(role: OperatorRole, env: WaslEnv): string | string[] {
  switch (role) {
    case 'admin':
      return '*';
    case 'operator':
      return env === 'production' ? ['read', 'wasl.read'] : ['read', 'wasl.read', 'flows.write', 'inject.write'];
    default:
      return ['read', 'wasl.read'];
  }
}
