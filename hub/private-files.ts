/**
 * The data directory holds citizens' data (the SQLite database), secrets (the demo key and
 * operator, the editor's credential key) and sessions: owner-only, whatever the process's umask
 * (a shared QA server's default of 022 would make them world-readable). Directories are 0700 and
 * files 0600, set explicitly after creation (open's mode is filtered by the umask), and an
 * existing data directory left wider by an older version is tightened at start.
 */
import { chmodSync, closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes `dir` (and missing parents) and leaves `dir` itself 0700. An existing directory is
 * tightened only when this process owns it and it is not a shared sticky directory such as /tmp
 * (a data directory pointed at one must not change it for everyone).
 */
export function privateDir(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    chmodSync(dir, PRIVATE_DIR_MODE);
    return;
  }
  const st = statSync(dir);
  const sticky = (st.mode & 0o1000) !== 0;
  const ours = typeof process.getuid !== 'function' || st.uid === process.getuid();
  if ((st.mode & 0o077) !== 0 && ours && !sticky) chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Makes `file` exist (empty when new) with mode 0600, its directory private. */
export function privateFile(file: string): void {
  privateDir(dirname(file));
  const fd = openSync(file, 'a', PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

/** Tightens `file` to 0600 when it exists (SQLite's -wal and -shm of an older database). */
export function tightenFile(file: string): void {
  if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, PRIVATE_FILE_MODE);
}

/** Writes `data` to `file` through a 0600 temporary file renamed over it: a reader sees the old or the new whole. */
export function writePrivateFile(file: string, data: string | Buffer): void {
  privateDir(dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
