/** Operators (WASL_OPERATORS): parsing, scrypt hashes, the Node-RED adminAuth built on them, `wasl operator hash`. */
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { ConfigError, loadConfig } from '../../hub/config';
import { operatorCommand, readPassword, type OperatorIo } from '../../hub/cli/operator';
import { DEFAULT_SCRYPT, hashPassword, parseOperators, runtimePermissions, verifyPassword } from '../../hub/operators';
import { OperatorAuth } from '../../hub/operator-auth';
import { EditorLogin } from '../../hub/runtime/editor-login';

const FAST = { N: 1024, r: 8, p: 1 };

function sink(): PassThrough & { text(): string } {
  const s = new PassThrough();
  let out = '';
  s.on('data', (d: Buffer) => (out += d.toString('utf8')));
  return Object.assign(s, { text: () => out });
}

describe('operators', () => {
  let hash: string;
  before(async () => {
    hash = await hashPassword('كلمة-سر طويلة 2026', FAST);
  });

  describe('hashes', () => {
    it('hashes in the scrypt$N$r$p$salt$hash form with a fresh salt, the default cost N=2^15 r=8 p=1', async () => {
      const a = await hashPassword('correct horse battery');
      const b = await hashPassword('correct horse battery');
      assert.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
      assert.notEqual(a, b, 'a new salt each time');
      assert.deepEqual(DEFAULT_SCRYPT, { N: 32768, r: 8, p: 1 });
      assert.equal(await verifyPassword('correct horse battery', a), true);
    });

    it('verifies the right password only (Arabic, NFC-normalised) and refuses malformed hashes', async () => {
      assert.equal(await verifyPassword('كلمة-سر طويلة 2026', hash), true);
      assert.equal(await verifyPassword('كلمة-سر طويلة 2026'.normalize('NFD'), hash), true);
      assert.equal(await verifyPassword('كلمة-سر طويلة 2025', hash), false);
      assert.equal(await verifyPassword('', hash), false);
      for (const bad of ['', 'plain', 'scrypt$1000$8$1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5', hash.replace('$1024$', '$1023$'), `bcrypt${hash.slice(6)}`]) {
        assert.equal(await verifyPassword('x', bad), false, bad);
      }
    });
  });

  describe('WASL_OPERATORS', () => {
    it('parses users, hashes and roles', () => {
      const ops = parseOperators(JSON.stringify([{ user: 'rana', passwordHash: hash, role: 'admin' }, { user: 'sami.k', passwordHash: hash, role: 'viewer' }]));
      assert.deepEqual(ops.map((o) => [o.user, o.role]), [['rana', 'admin'], ['sami.k', 'viewer']]);
      assert.equal(loadConfig({ WASL_OPERATORS: JSON.stringify([{ user: 'rana', passwordHash: hash, role: 'operator' }]) }).operators?.[0]?.role, 'operator');
      assert.equal(loadConfig({}).operators, undefined);
    });

    it('refuses bad entries with a ConfigError naming the variable, never echoing a hash', () => {
      const broken = hash.replace(/\$[^$]+$/, '$###');
      const cases: Array<[string, RegExp]> = [
        ['not json', /WASL_OPERATORS is not valid JSON/],
        [JSON.stringify({ user: 'a' }), /WASL_OPERATORS is invalid/],
        [JSON.stringify([{ user: 'rana', passwordHash: hash, role: 'root' }]), /WASL_OPERATORS is invalid: \/0\/role/],
        [JSON.stringify([{ user: 'rana', passwordHash: broken, role: 'admin' }]), /\/0\/passwordHash/],
        [JSON.stringify([{ user: 'rana', passwordHash: hash.replace('$1024$', '$1000$'), role: 'admin' }]), /\/0\/passwordHash is not a usable scrypt hash/],
        [JSON.stringify([{ user: 'rana', passwordHash: hash, role: 'admin', password: 'x' }]), /\/0\/password is not allowed/],
        [JSON.stringify([{ user: 'rana', passwordHash: hash, role: 'admin' }, { user: 'RANA', passwordHash: hash, role: 'viewer' }]), /names user "RANA" twice/],
      ];
      for (const [raw, re] of cases) {
        assert.throws(
          () => loadConfig({ WASL_OPERATORS: raw }),
          (e) => e instanceof ConfigError && re.test(e.message) && !e.message.includes(hash.split('$')[5]!) && !e.message.includes('###'),
          raw,
        );
      }
    });
  });

  describe('Node-RED adminAuth', () => {
    const ops = () => parseOperators(JSON.stringify([{ user: 'rana', passwordHash: hash, role: 'admin' }, { user: 'omar', passwordHash: hash, role: 'operator' }, { user: 'sami', passwordHash: hash, role: 'viewer' }]));

    it('maps roles to permissions, wasl.read for all; operators deploy only in the sandbox', () => {
      assert.equal(runtimePermissions('admin', 'production'), '*');
      assert.deepEqual(runtimePermissions('viewer', 'sandbox'), ['read', 'wasl.read']);
      assert.deepEqual(runtimePermissions('operator', 'sandbox'), ['read', 'wasl.read', 'flows.write', 'inject.write']);
      assert.deepEqual(runtimePermissions('operator', 'production'), ['read', 'wasl.read']);
    });

    it("gives Node-RED no anonymous access and no login of its own: only wasl's session tokens, for operators as configured now", async () => {
      const login = new EditorLogin(new OperatorAuth(ops()), 'production');
      const a = login.adminAuth() as {
        type: string;
        default?: unknown;
        users(u: string): Promise<unknown>;
        authenticate(u: string, p: string): Promise<unknown>;
        tokens(t: string): Promise<unknown>;
      };
      assert.equal(a.type, 'credentials');
      assert.equal(a.default, undefined);
      assert.deepEqual(await a.users('sami'), { username: 'sami', permissions: ['read', 'wasl.read'] });
      assert.equal(await a.users('nobody'), null);
      // Node-RED's password exchange (its 5-attempts-per-user lockout) is never reached: wasl answers /red/auth/token.
      assert.equal(await a.authenticate('rana', 'كلمة-سر طويلة 2026'), null);
      assert.equal(await a.tokens('not-a-session'), null);
    });
  });

  describe('wasl operator hash', () => {
    const run = async (io: OperatorIo) => {
      const before = process.exitCode;
      try {
        await operatorCommand(io).parseAsync(['node', 'operator', 'hash']);
        return process.exitCode;
      } finally {
        process.exitCode = before;
      }
    };

    it('hashes the first line of a piped stdin and prints only the hash', async () => {
      const stdout = sink();
      const stderr = sink();
      const code = await run({ stdin: Readable.from([Buffer.from('a long passphrase\nignored\n')]), stdout, stderr });
      assert.equal(code ?? 0, 0, stderr.text());
      const printed = stdout.text().trim();
      assert.match(printed, /^scrypt\$32768\$8\$1\$/);
      assert.equal(await verifyPassword('a long passphrase', printed), true);
      assert.ok(!stdout.text().includes('passphrase') && !stderr.text().includes('passphrase'));
    });

    it('refuses a short password', async () => {
      const stdout = sink();
      const stderr = sink();
      assert.equal(await run({ stdin: Readable.from(['short\n']), stdout, stderr }), 1);
      assert.equal(stdout.text(), '');
      assert.match(stderr.text(), /at least 12 characters/);
    });

    it('on a terminal, reads in raw mode without echo, twice, with backspace', async () => {
      const stdin = Object.assign(new PassThrough(), { isTTY: true, raw: [] as boolean[], setRawMode(r: boolean) {
        this.raw.push(r);
        return this;
      } });
      const stderr = sink();
      const read = readPassword({ stdin, stdout: sink(), stderr });
      stdin.write('secret-passX\u007f');
      stdin.write('word\r');
      await new Promise((r) => setImmediate(r));
      stdin.write('secret-password\r');
      assert.equal(await read, 'secret-password');
      assert.deepEqual(stdin.raw, [true, false, true, false]);
      assert.equal(stderr.text(), 'Password: \nAgain: \n', 'prompts only, nothing typed is echoed');
    });
  });
});
