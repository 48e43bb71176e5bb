/**
 * The sandbox's demo operator, made when WASL_OPERATORS is unset so that a monitoring team can
 * open /monitor right after `npm start`. It logs in to the dashboard (and sees /metrics and the
 * operators' catalogue) only: the flows editor stays as the sandbox leaves it without operators,
 * open for local development, because giving the editor a login would lock out the engineer
 * who did not ask for one. Its password is kept in the data directory (mode 0600), next to its
 * hash, so the same login survives restarts and a start derives no scrypt key (only the first).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword, type Operator } from './operators';
import { writePrivateFile } from './private-files';

export interface DemoOperator extends Operator {
  password: string;
}

const USER = 'monitor';

export async function demoOperator(dataDir: string): Promise<DemoOperator> {
  const file = join(dataDir, 'demo-operator');
  if (existsSync(file)) {
    try {
      const kept = JSON.parse(readFileSync(file, 'utf8')) as Partial<DemoOperator>;
      if (typeof kept.password === 'string' && kept.password.length >= 16 && typeof kept.passwordHash === 'string' && kept.passwordHash.startsWith('scrypt$')) {
        return { user: USER, password: kept.password, passwordHash: kept.passwordHash, role: 'operator' };
      }
    } catch {
      // An unreadable file is replaced below, like a missing one.
    }
  }
  const password = randomBytes(18).toString('base64url');
  const passwordHash = await hashPassword(password);
  writePrivateFile(file, `${JSON.stringify({ user: USER, password, passwordHash })}\n`);
  return { user: USER, password, passwordHash, role: 'operator' };
}
