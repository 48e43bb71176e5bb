/**
 * The systemd units of deploy/systemd/ (docs/deployment.md, "Production checklist"): one per role,
 * each running the role's command from the production install, its secrets from an
 * EnvironmentFile, and sandboxed — a dedicated user, a read-only system but for the data dir, no
 * capability, IP and Unix sockets only, the system-service system calls, and no
 * MemoryDenyWriteExecute (V8's JIT writes the code it runs). `systemd-analyze verify` accepts them,
 * warnings included, where systemd is installed (skipped with a line otherwise).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
const { HUB_NODE_FLAGS } = require('../bin/node-flags') as { HUB_NODE_FLAGS: string[] };

const DIR = resolve(__dirname, '..', 'deploy', 'systemd');
const UNITS = { 'wasl-gateway.service': 'start --no-workers', 'wasl-worker.service': 'worker' } as const;

/** The [Service] section's settings, a key repeated keeping every value. */
function settings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

describe('deploy: systemd units for the gateway and the worker', () => {
  for (const [unit, command] of Object.entries(UNITS)) {
    it(`${unit}: runs \`wasl ${command}\` in production, secrets from a file, sandboxed`, () => {
      const text = readFileSync(join(DIR, unit), 'utf8');
      const s = settings(text);
      const one = (key: string) => {
        const v = s.get(key);
        assert.ok(v, `${unit}: ${key} is missing`);
        return v.at(-1)!;
      };
      assert.equal(one('ExecStart'), `/usr/bin/node ${HUB_NODE_FLAGS.join(' ')} /opt/wasl/bin/wasl.js ${command}`, 'with the hub\'s V8 flags (bin/node-flags.js)');
      assert.match(one('Environment'), /\bWASL_ENV=production\b/);
      assert.match(one('Environment'), /\bWASL_DATA_DIR=\/var\/lib\/wasl\b/);
      if (command === 'worker') assert.match(one('Environment'), /\bWASL_METRICS_PORT=\d+/, 'a worker serves /metrics, /live and /ready');
      assert.ok(s.get('EnvironmentFile')?.includes('/etc/wasl/wasl.env'), 'secrets from /etc/wasl/wasl.env');
      assert.doesNotMatch(text, /WASL_SECRET=|WASL_CHANNEL_KEYS=|DATABASE_URL=|AMQP_URL=/, 'no secret in the unit');
      assert.equal(one('User'), 'wasl');
      for (const [key, value] of [
        ['NoNewPrivileges', 'yes'],
        ['ProtectSystem', 'strict'],
        ['ProtectHome', 'yes'],
        ['PrivateTmp', 'yes'],
        ['PrivateDevices', 'yes'],
        ['ReadWritePaths', '/var/lib/wasl'],
        ['CapabilityBoundingSet', ''],
        ['RestrictAddressFamilies', 'AF_INET AF_INET6 AF_UNIX'],
        ['SystemCallFilter', '@system-service'],
        ['UMask', '0077'],
      ] as const) {
        assert.equal(one(key), value, `${unit}: ${key}`);
      }
      assert.ok(!s.has('MemoryDenyWriteExecute'), `${unit}: MemoryDenyWriteExecute would stop V8's JIT`);
      assert.match(text, /MemoryDenyWriteExecute=yes is deliberately absent: V8's JIT/);
    });
  }

  it('systemd-analyze verify accepts both, without a warning', async function () {
    this.timeout(30_000);
    const run = promisify(execFile);
    const found = await run('systemd-analyze', ['--version']).then(() => true, () => false);
    if (!found) {
      console.log('      (skipped: systemd-analyze not installed)');
      return this.skip();
    }
    // ExecStart must name an executable here: node where this test runs, if not /usr/bin/node.
    const tmp = mkdtempSync(join(tmpdir(), 'wasl-units-'));
    try {
      const files = Object.keys(UNITS).map((unit) => {
        const file = join(tmp, unit);
        writeFileSync(file, readFileSync(join(DIR, unit), 'utf8').replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `));
        return file;
      });
      const { stdout, stderr } = await run('systemd-analyze', ['verify', ...files]).catch((err: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`systemd-analyze verify failed: ${err.stderr ?? err.message}`);
      });
      assert.equal(`${stdout}${stderr}`.trim(), '', 'no warning (an unknown or misspelt setting is only a warning)');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('deploy: every way of starting a hub names its V8 flags (bin/node-flags.js)', () => {
  const root = resolve(__dirname, '..');

  it('bin/wasl.js runs under them when executed (its first line), and `npm start` passes them', () => {
    const first = readFileSync(join(root, 'bin', 'wasl.js'), 'utf8').split('\n')[0];
    assert.equal(first, `#!/usr/bin/env -S node ${HUB_NODE_FLAGS.join(' ')}`);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.start, `node ${HUB_NODE_FLAGS.join(' ')} bin/wasl.js start`);
  });

  it('the first line is one this system runs: bin/wasl.js executed directly answers --version', async function () {
    this.timeout(30_000);
    const { stdout } = await promisify(execFile)(join(root, 'bin', 'wasl.js'), ['--version'], { env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` } });
    assert.match(stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  it('names only flags this Node accepts', async function () {
    this.timeout(30_000);
    const { stdout } = await promisify(execFile)(process.execPath, [...HUB_NODE_FLAGS, '-e', 'process.stdout.write(JSON.stringify(process.execArgv))']);
    assert.deepEqual((JSON.parse(stdout) as string[]).slice(0, HUB_NODE_FLAGS.length), HUB_NODE_FLAGS, "a flag Node does not know stops it with \"bad option\"");
  });
});
