/**
 * Credentials never sit in the repository's flow and provider files, nor in what the editor
 * exports (README "Wire a new ministry": credentials never go in provider.json, which names
 * environment variables; "Wire a service as a flow": they are entered in the editor and kept
 * encrypted in the data directory, never in flow files).
 *
 *  - Every file under flows/ and contracts/providers/ is scanned for what a secret looks like
 *    (private keys, tokens, passwords in URLs, Authorization values) and, in JSON, for any member
 *    named like a credential that holds a value instead of a variable's name. The one designated
 *    exception is the providers' published sandbox test credentials — `sandboxSecrets` (by the
 *    variable a `security` block names) and `callbacks.sandboxSecret` — which must say they are
 *    sandbox values and appear nowhere else; production (`security`, `environments.production`)
 *    holds variable names only.
 *  - Those sandbox values reach a provider only in the sandbox: a connector built for production
 *    sends the variable's value, and with the variable unset sends nothing at all.
 *  - With the flows runtime running, a provider config node deployed with credentials is exported
 *    (GET /red/flows, what the editor's export is made of) and written to the flow files without
 *    them; the credentials file in the data directory holds them encrypted only.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { createConnector } from '../../connectors';
import { hashPassword } from '../../hub/operators';
import { exampleOf } from '../../sandbox/generated/examples';
import { FLOWS_DIR, setProviderCallbackSecrets, testHub } from '../helpers';

const REPO = resolve(__dirname, '..', '..');
const PROVIDERS = join(REPO, 'contracts', 'providers');
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
/** Member names that say "a credential is here". */
const SECRET_NAME = /pass(word|phrase)?|secret|token|api[-_]?key|private[-_]?key|credential|^auth(orization)?$/i;
/** Members named like that which hold no secret: how one is sent, or where from. */
const NOT_SECRET = new Set(['passwordType', 'tokenUrl', 'secretEnv', 'timestampTtlSeconds']);
/** What a secret looks like in any text. */
const SECRET_TEXT: Array<[string, RegExp]> = [
  ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['a JSON web token', /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/],
  ['a password in a URL', /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"'<>]+:[^/\s@"'<>]+@/i],
  ['an Authorization value', /\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{16,}/],
  ['an AWS access key', /\bAKIA[0-9A-Z]{16}\b/],
];

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((f) => join(dir, f)).filter((f) => statSync(f).isFile());
}

/** What in one file looks like a secret, one line each. */
function secretsIn(where: string, text: string, designated: string[]): string[] {
  const found: string[] = [];
  for (const [what, re] of SECRET_TEXT) if (re.test(text)) found.push(`${where}: ${what}`);
  const providerFile = where.endsWith('provider.json');
  // The published sandbox values, only where they are published.
  if (!providerFile) for (const v of designated) if (text.includes(v)) found.push(`${where}: a provider's sandbox secret, outside its provider file`);
  if (!where.endsWith('.json')) return found;
  const isContract = /[/\\](contract|operations)[/\\]/.test(where);
  for (const l of leaves(JSON.parse(text))) {
    // A member named …Env names a variable, whatever the variable holds.
    if (!isContract && /Env$/.test(l.name) && !ENV_NAME.test(l.value)) {
      found.push(`${where}: ${l.pointer} must name an environment variable`);
      continue;
    }
    if (isContract) {
      // A contract's schemas name such members (an OAuth2 token answer) without values; an example or default of one is a value.
      const value = /^(.*?)\/(example|examples|default|const|enum)(\/|$)/.exec(l.pointer);
      if (value?.[1]!.split('/').some((seg) => SECRET_NAME.test(seg) && !NOT_SECRET.has(seg))) found.push(`${where}: ${l.pointer} is a credential's value`);
      continue;
    }
    if (!SECRET_NAME.test(l.name) || NOT_SECRET.has(l.name)) continue;
    if (l.name.endsWith('Env') && ENV_NAME.test(l.value)) continue;
    if (providerFile && /^\/sandboxSecrets\/|^\/callbacks\/sandboxSecret$/.test(l.pointer)) continue;
    found.push(`${where}: ${l.pointer} holds a value, not an environment variable's name`);
  }
  return found;
}

interface ProviderFile {
  code: string;
  security?: unknown;
  environments: Record<string, { security?: unknown } | undefined>;
  sandboxSecrets?: Record<string, string>;
  callbacks?: { secretEnv: string; sandboxSecret?: string };
}

const providers = () => readdirSync(PROVIDERS).filter((d) => existsSync(join(PROVIDERS, d, 'provider.json'))).map((d) => JSON.parse(readFileSync(join(PROVIDERS, d, 'provider.json'), 'utf8')) as ProviderFile);

/** Every string leaf of `v` with the name of its member and its JSON pointer. */
function leaves(v: unknown, pointer = '', name = '', out: Array<{ pointer: string; name: string; value: string }> = []) {
  if (typeof v === 'string') out.push({ pointer, name, value: v });
  else if (Array.isArray(v)) v.forEach((x, i) => leaves(x, `${pointer}/${i}`, name, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, `${pointer}/${k}`, k, out);
  return out;
}

/** The variable names a provider's security blocks (top level and per environment) read. */
function securityVariables(p: ProviderFile): Set<string> {
  const blocks = [p.security, ...Object.values(p.environments).map((e) => e?.security)];
  return new Set(blocks.flatMap((b) => leaves(b).filter((l) => l.name.endsWith('Env')).map((l) => l.value)));
}

describe('security: credentials never appear in flow files, provider files or exports', function () {
  this.timeout(60_000);

  describe('the repository', () => {
    // The secret ones: a sandbox user name or client id ("wasl-sandbox") is also who certified a service.
    const sandboxValues = () => providers().flatMap((p) => [...Object.entries(p.sandboxSecrets ?? {}).filter(([name]) => /PASSWORD|SECRET|KEY|TOKEN/.test(name)).map(([, v]) => v), ...(p.callbacks?.sandboxSecret ? [p.callbacks.sandboxSecret] : [])]);

    it('no file under flows/ or contracts/providers/ holds anything that looks like a secret', () => {
      const files = [...filesUnder(FLOWS_DIR), ...filesUnder(PROVIDERS)];
      assert.ok(files.length > 100, `${files.length} files`);
      const designated = sandboxValues();
      const found = files.flatMap((file) => secretsIn(relative(REPO, file), readFileSync(file, 'utf8'), designated));
      assert.deepEqual(found, []);
    });

    it('the scan finds what it looks for (controls)', () => {
      const designated = sandboxValues();
      const cases: Array<[string, string]> = [
        ['flows/x/flow.json', JSON.stringify([{ id: 'n1', type: 'function', func: 'msg.headers = { authorization: "Bearer abcdefghijklmnop0123" }' }])],
        ['flows/shared.json', JSON.stringify([{ id: 'p1', type: 'wasl-provider', code: 'x', password: 'hunter2-hunter2' }])],
        ['contracts/providers/x/provider.json', JSON.stringify({ security: { basic: { usernameEnv: 'X_USER', passwordEnv: 'the-password-itself' } } })],
        ['contracts/providers/x/provider.json', JSON.stringify({ environments: { production: { endpoint: 'https://wasl:s3cret@moi.example.sy/api' } } })],
        ['contracts/providers/x/contract/x.openapi.json', JSON.stringify({ components: { schemas: { Token: { properties: { client_secret: { type: 'string', example: 'abc123abc123' } } } } } })],
        ['contracts/providers/x/key.pem', '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----'],
        ['flows/x/scenarios/s.json', JSON.stringify({ note: designated[0] })],
      ];
      for (const [where, text] of cases) assert.equal(secretsIn(where, text, designated).length, 1, `${where}: ${text}`);
      // Variable names, schema declarations and the designated sandbox values are not findings.
      assert.deepEqual(secretsIn('contracts/providers/x/provider.json', JSON.stringify({ security: { apiKey: { in: 'header', name: 'X-Key', valueEnv: 'X_KEY' } }, sandboxSecrets: { X_KEY: 'sandbox-only-key' }, callbacks: { secretEnv: 'X_SECRET', sandboxSecret: 'sandbox-callback-secret' } }), designated), []);
      assert.deepEqual(secretsIn('contracts/providers/x/operations/Op.output.schema.json', JSON.stringify({ properties: { access_token: { type: 'string' } } }), designated), []);
    });

    it("flow files carry no credentials: no node has a credentials member, no provider node a credential property", () => {
      const fields = ['username', 'password', 'token', 'apiKey', 'clientId', 'clientSecret', 'credentials'];
      const found: string[] = [];
      let providerNodes = 0;
      for (const file of filesUnder(FLOWS_DIR).filter((f) => f.endsWith('flow.json') || f.endsWith('shared.json'))) {
        for (const n of JSON.parse(readFileSync(file, 'utf8')) as Array<Record<string, unknown>>) {
          if ('credentials' in n) found.push(`${relative(REPO, file)}: node ${String(n.id)} has credentials`);
          if (n.type === 'wasl-provider') {
            providerNodes++;
            for (const f of fields) if (f in n) found.push(`${relative(REPO, file)}: provider node ${String(n.id)} has ${f}`);
          }
        }
      }
      assert.ok(providerNodes >= 7, `${providerNodes} provider config nodes`);
      assert.deepEqual(found, []);
    });

    it('production credentials are variable names; sandbox test values are marked as such and fall back only for a variable a security block reads', () => {
      const found: string[] = [];
      for (const p of providers()) {
        const blocks: Array<[string, unknown]> = [['security', p.security], ...Object.entries(p.environments).map(([env, e]): [string, unknown] => [`environments/${env}/security`, e?.security])];
        for (const [where, block] of blocks) {
          for (const l of leaves(block)) {
            const secretMember = l.name.endsWith('Env');
            if (secretMember && !ENV_NAME.test(l.value)) found.push(`${p.code} ${where}${l.pointer}: "${l.name}" must name a variable`);
            if (!secretMember && !['in', 'name', 'tokenUrl', 'audience', 'passwordType', 'scopes'].includes(l.name)) found.push(`${p.code} ${where}${l.pointer}: "${l.name}" is not a known non-secret member`);
          }
        }
        const read = securityVariables(p);
        for (const [name, value] of Object.entries(p.sandboxSecrets ?? {})) {
          if (!read.has(name)) found.push(`${p.code} sandboxSecrets/${name}: no security block reads this variable`);
          if (!/sandbox/i.test(value)) found.push(`${p.code} sandboxSecrets/${name}: the value does not say it is a sandbox value`);
        }
        if (p.callbacks?.sandboxSecret && !/sandbox/i.test(p.callbacks.sandboxSecret)) found.push(`${p.code} callbacks/sandboxSecret: the value does not say it is a sandbox value`);
        if (p.callbacks && !ENV_NAME.test(p.callbacks.secretEnv)) found.push(`${p.code} callbacks/secretEnv: must name a variable`);
      }
      assert.deepEqual(found, []);
      assert.ok(providers().some((p) => p.sandboxSecrets), 'the fixture: some provider publishes sandbox credentials');
    });
  });

  it('a provider gets the published sandbox credentials in the sandbox only: in production the variable\'s value, and nothing when it is unset', async () => {
    const code = 'sif-insurance';
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const root = mkdtempSync(join(tmpdir(), 'wasl-sec-providers-'));
    const saved = process.env.SIF_INSURANCE_API_KEY;
    try {
      cpSync(join(PROVIDERS, code), join(root, code), { recursive: true });
      const file = join(root, code, 'provider.json');
      const def = JSON.parse(readFileSync(file, 'utf8')) as ProviderFile & { environments: Record<string, { endpoint: string }> };
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sif/api/1.4`;
      def.environments = { sandbox: { endpoint }, production: { endpoint } };
      writeFileSync(file, JSON.stringify(def, null, 2));
      const sandboxKey = def.sandboxSecrets!.SIF_INSURANCE_API_KEY!;
      const input = JSON.parse(readFileSync(join(root, code, 'operations', 'GetPolicy.input.schema.json'), 'utf8')) as Record<string, unknown>;
      const call = async (env: 'sandbox' | 'production') => {
        const c = createConnector(code, env, { providersRoot: root });
        try {
          return await c.call('GetPolicy', exampleOf(input as never, new Date(), true)).then(() => undefined, (err: Error) => err);
        } finally {
          await c.close();
        }
      };
      delete process.env.SIF_INSURANCE_API_KEY;
      await call('sandbox');
      assert.equal(seen.at(-1)?.['x-sif-key'], sandboxKey, 'the control: the sandbox uses the published test key');
      const count = seen.length;
      const err = await call('production');
      assert.equal(seen.length, count, 'production sent a request without its key being set');
      assert.match(String(err?.message), /SIF_INSURANCE_API_KEY/);
      process.env.SIF_INSURANCE_API_KEY = 'the-production-key-0123456789';
      await call('production');
      assert.equal(seen.at(-1)?.['x-sif-key'], 'the-production-key-0123456789');
      assert.ok(!seen.slice(count).some((h) => JSON.stringify(h).includes(sandboxKey)), 'the sandbox key never went to production');
    } finally {
      if (saved === undefined) delete process.env.SIF_INSURANCE_API_KEY;
      else process.env.SIF_INSURANCE_API_KEY = saved;
      await new Promise((r) => server.close(r));
    }
  });

  it('the runtime exports a provider node deployed with credentials without them, and keeps them only encrypted', async () => {
    const SERVICE = 'civil-registry-individual-extract';
    const secrets = { apiKey: `api-key-${Date.now()}-s3cr3t`, password: `password-${Date.now()}-s3cr3t`, token: `token-${Date.now()}-s3cr3t`, clientSecret: `client-secret-${Date.now()}-s3cr3t` };
    const texts = { username: `user-${Date.now()}-name`, clientId: `client-${Date.now()}-id` };
    const flowsDir = mkdtempSync(join(tmpdir(), 'wasl-test-flows-'));
    mkdirSync(join(flowsDir, SERVICE));
    copyFileSync(join(FLOWS_DIR, SERVICE, 'service.json'), join(flowsDir, SERVICE, 'service.json'));
    writeFileSync(join(flowsDir, SERVICE, 'flow.json'), JSON.stringify([{ id: 'tab1', type: 'tab', label: SERVICE }], null, 2));
    const password = 'security-export-password-1';
    const restore = setProviderCallbackSecrets();
    const hub = await testHub({ flowsDir, secret: 'w'.repeat(40), operators: [{ user: 'rana', passwordHash: await hashPassword(password, { N: 1024, r: 8, p: 1 }), role: 'admin' }] }, undefined, { runtime: true }).finally(restore);
    try {
      await hub.startBackground();
      const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
      const login = await fetch(`${url}/red/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: 'rana', password }) });
      const headers = { authorization: `Bearer ${((await login.json()) as { access_token: string }).access_token}`, 'content-type': 'application/json', 'node-red-api-version': 'v2' };
      const current = (await (await fetch(`${url}/red/flows`, { headers })).json()) as { rev: string; flows: unknown[] };
      const node = { id: 'provider-sec', type: 'wasl-provider', name: 'with credentials', code: 'sif-insurance', environment: '', credentials: { ...secrets, ...texts } };
      const deploy = await fetch(`${url}/red/flows`, { method: 'POST', headers: { ...headers, 'node-red-deployment-type': 'full' }, body: JSON.stringify({ rev: current.rev, flows: [...current.flows, node] }) });
      assert.equal(deploy.status, 200, await deploy.text());

      const values = [...Object.values(secrets), ...Object.values(texts)];
      const leaked = (what: string, text: string) => values.filter((v) => text.includes(v)).map((v) => `${what} holds ${v.slice(0, 8)}…`);
      const found: string[] = [];
      for (const version of ['v1', 'v2']) {
        const exported = await (await fetch(`${url}/red/flows`, { headers: { ...headers, 'node-red-api-version': version } })).text();
        assert.match(exported, /provider-sec/, 'the control: the node is in the export');
        found.push(...leaked(`GET /red/flows (${version})`, exported));
      }
      // The editor's credentials view shows a password-type credential as set, never its value.
      const view = await (await fetch(`${url}/red/credentials/wasl-provider/provider-sec`, { headers })).json() as Record<string, unknown>;
      assert.equal(view.has_password, true);
      found.push(...Object.values(secrets).filter((v) => JSON.stringify(view).includes(v)).map((v) => `the credentials view holds ${v.slice(0, 8)}…`));
      for (const f of filesUnder(flowsDir)) found.push(...leaked(relative(flowsDir, f), readFileSync(f, 'utf8')));
      const shared = JSON.parse(readFileSync(join(flowsDir, 'shared.json'), 'utf8')) as Array<Record<string, unknown>>;
      assert.ok(shared.some((n) => n.id === 'provider-sec' && !('credentials' in n)), 'the node went to shared.json, without credentials');
      const stateDir = join(hub.config.dataDir, 'node-red');
      const credFile = join(stateDir, 'flows_cred.json');
      assert.ok(existsSync(credFile), 'the credentials are kept in the data dir');
      assert.deepEqual(Object.keys(JSON.parse(readFileSync(credFile, 'utf8'))), ['$'], 'kept encrypted (Node-RED\'s {"$": …} form)');
      for (const f of filesUnder(stateDir)) found.push(...leaked(`data dir ${relative(stateDir, f)}`, readFileSync(f, 'utf8')));
      assert.deepEqual(found, []);
    } finally {
      await hub.close();
    }
  });
});
