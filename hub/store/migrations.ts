/** Versioned migrations: NNN_name.sql files per back end, applied in order, each once. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(kind: 'sqlite' | 'postgres'): Migration[] {
  const dir = join(__dirname, 'migrations', kind);
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f.slice(4, -4), sql: readFileSync(join(dir, f), 'utf8') }));
}
