import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../hub/config';
import { TEST_CERT_KEYS } from '../helpers';

const keys = JSON.stringify([{ channel: 'centre-hms-02', key: 'k'.repeat(32), services: ['*'] }, { channel: 'portal', key: 'p'.repeat(32), services: ['civil-registry-individual-extract'] }]);

describe('configuration', () => {
  it('defaults to the sandbox on SQLite, port 8080, 256 KiB bodies', () => {
    const c = loadConfig({});
    assert.equal(c.env, 'sandbox');
    assert.equal(c.port, 8080);
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.bodyLimit, 262144);
    assert.equal(c.channelKeys, undefined);
  });

  it('reads channel keys, with each channel\'s kind', () => {
    const c = loadConfig({ WASL_CHANNEL_KEYS: keys });
    assert.deepEqual(c.channelKeys?.map((k) => [k.channel, k.kind]), [['centre-hms-02', 'centre'], ['portal', 'portal']]);
  });

  it('refuses bad settings with the variable named and no secret echoed', () => {
    const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{ WASL_ENV: 'staging' }, /WASL_ENV/],
      [{ WASL_ENV: 'production', WASL_CHANNEL_KEYS: keys }, /WASL_SECRET is required/],
      [{ WASL_ENV: 'production', WASL_SECRET: 's'.repeat(40) }, /WASL_CHANNEL_KEYS is required/],
      [{ WASL_ENV: 'production', WASL_SECRET: 's'.repeat(40), WASL_CHANNEL_KEYS: keys }, /WASL_CERT_TRUSTED_KEYS is required in production[\s\S]*المتغير WASL_CERT_TRUSTED_KEYS مطلوب/],
      [{ WASL_ENV: 'production', WASL_SECRET: 's'.repeat(40), WASL_CHANNEL_KEYS: keys, WASL_CERT_TRUSTED_KEYS: ' , ' }, /WASL_CERT_TRUSTED_KEYS is required in production/],
      [{ WASL_CERT_TRUSTED_KEYS: 'k'.repeat(30) }, /WASL_CERT_TRUSTED_KEYS is invalid: not an Ed25519 public key/],
      [{ WASL_CERT_TRUSTED_KEYS: TEST_CERT_KEYS.signingKey }, /WASL_CERT_TRUSTED_KEYS is invalid: not an Ed25519 public key/],
      [{ WASL_CERT_SIGNING_KEY: TEST_CERT_KEYS.publicKey }, /WASL_CERT_SIGNING_KEY is invalid: not an Ed25519 private key/],
      [{ WASL_ENV: 'production', WASL_SECRET: 's'.repeat(40), WASL_CHANNEL_KEYS: keys, WASL_CERT_TRUSTED_KEYS: TEST_CERT_KEYS.publicKey, WASL_CERT_SIGNING_KEY: TEST_CERT_KEYS.signingKey }, /WASL_CERT_SIGNING_KEY must not be set in production/],
      [{ WASL_SECRET: 'short' }, /WASL_SECRET must be/],
      [{ PORT: 'eighty' }, /PORT/],
      [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
      [{ WASL_CHANNEL_KEYS: '[{"channel":"a","key":"short-secret-key","services":["*"]}]' }, /WASL_CHANNEL_KEYS is invalid: \/0\/key/],
      [{ WASL_CHANNEL_KEYS: 'not json' }, /not valid JSON/],
      [{ WASL_CHANNEL_KEYS: JSON.stringify([{ channel: 'a', key: 'k'.repeat(30), services: ['*'] }, { channel: 'b', key: 'k'.repeat(30), services: ['*'] }]) }, /same key/],
    ];
    for (const [env, re] of cases) {
      assert.throws(
        () => loadConfig(env),
        (e) => e instanceof ConfigError && re.test(e.message) && !e.message.includes('short-secret-key') && !e.message.includes('k'.repeat(30)) && !e.message.includes(TEST_CERT_KEYS.signingKey),
        JSON.stringify(env),
      );
    }
  });

  it('accepts production with a secret, channel keys and the certificates\' trusted keys', () => {
    const c = loadConfig({ WASL_ENV: 'production', WASL_SECRET: 's'.repeat(40), WASL_CHANNEL_KEYS: keys, WASL_CERT_TRUSTED_KEYS: TEST_CERT_KEYS.publicKey, DATABASE_URL: 'postgres://db/wasl' });
    assert.equal(c.env, 'production');
    assert.equal(c.databaseUrl, 'postgres://db/wasl');
    assert.deepEqual(c.certTrustedKeys, [TEST_CERT_KEYS.publicKey]);
    assert.equal(c.certSigningKey, undefined);
  });

  it('reads the trusted keys comma-separated, as a JSON array or as PEM, and the signing key in the sandbox', () => {
    const other = 'MCowBQYDK2VwAyEAclaj8WBYZBah0KbPNNOZPAlNePBw51gYoIK6WjLR/MM=';
    assert.deepEqual(loadConfig({ WASL_CERT_TRUSTED_KEYS: `${TEST_CERT_KEYS.publicKey}, ${other}` }).certTrustedKeys, [TEST_CERT_KEYS.publicKey, other]);
    assert.deepEqual(loadConfig({ WASL_CERT_TRUSTED_KEYS: JSON.stringify([other, TEST_CERT_KEYS.publicKey]) }).certTrustedKeys, [other, TEST_CERT_KEYS.publicKey]);
    const pem = `-----BEGIN PUBLIC KEY-----\\n${TEST_CERT_KEYS.publicKey}\\n-----END PUBLIC KEY-----`;
    assert.deepEqual(loadConfig({ WASL_CERT_TRUSTED_KEYS: pem }).certTrustedKeys, [TEST_CERT_KEYS.publicKey]);
    assert.equal(loadConfig({ WASL_CERT_SIGNING_KEY: TEST_CERT_KEYS.signingKey }).certSigningKey, TEST_CERT_KEYS.signingKey);
    assert.equal(loadConfig({}).certTrustedKeys, undefined, 'the sandbox works without keys');
  });
});
