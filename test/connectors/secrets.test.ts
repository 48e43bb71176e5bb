import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretError, secret } from '../../connectors/secrets';

describe('connectors/secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-secrets-'));
  const names = ['WASL_T_PASSWORD', 'WASL_T_KEY', 'WASL_T_PATH', 'WASL_T_MISSING_FILE', 'WASL_T_EMPTY'];
  after(() => {
    for (const n of names) delete process.env[n];
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns the value of the variable', () => {
    process.env.WASL_T_PASSWORD = 'كلمة-سر s3cret';
    assert.equal(secret('WASL_T_PASSWORD'), 'كلمة-سر s3cret');
  });

  it('names the variable, never a value, when it is unset or empty', () => {
    delete process.env.WASL_T_UNSET;
    assert.throws(() => secret('WASL_T_UNSET'), (e: Error) => e instanceof SecretError && e.envName === 'WASL_T_UNSET' && /WASL_T_UNSET.*not set/.test(e.message));
    process.env.WASL_T_EMPTY = '';
    assert.throws(() => secret('WASL_T_EMPTY'), SecretError);
  });

  it('reads a file: value (PEM), without its final line break, and again when it changes', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----';
    const file = join(dir, 'key.pem');
    writeFileSync(file, `${pem}\n`);
    process.env.WASL_T_KEY = `file:${file}`;
    assert.equal(secret('WASL_T_KEY'), pem);
    writeFileSync(file, 'renewed-longer\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.equal(secret('WASL_T_KEY'), 'renewed-longer');
  });

  it('never reads a value that merely looks like a path', () => {
    const file = join(dir, 'looks-like-a-path');
    writeFileSync(file, 'content');
    process.env.WASL_T_PATH = file;
    assert.equal(secret('WASL_T_PATH'), file);
  });

  it('says which variable names an unreadable file, without the path or the content', () => {
    process.env.WASL_T_MISSING_FILE = `file:${join(dir, 'nope.pem')}`;
    assert.throws(
      () => secret('WASL_T_MISSING_FILE'),
      (e: Error) => e instanceof SecretError && /WASL_T_MISSING_FILE/.test(e.message) && /ENOENT/.test(e.message) && !e.message.includes('nope.pem'),
    );
  });

  it('refuses a name that is not an environment variable name of the provider schema', () => {
    assert.throws(() => secret('lower_case'), TypeError);
    assert.throws(() => secret('../etc'), TypeError);
  });
});
