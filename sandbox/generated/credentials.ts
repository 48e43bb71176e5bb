/**
 * What a generated simulator asks of its callers, as the provider's system would: the
 * credentials its provider file's security block names (in the sandbox environment, else the
 * provider's), checked against the provider's published test credentials (`sandboxSecrets`).
 * A provider without security, or without test credentials for a variable, is not checked.
 *   basic / apiKey / bearer   the header (or query) carries the test value
 *   oauth2                    the simulator is also the token endpoint (POST at tokenUrl's path,
 *                             client credentials in Basic or in the form) and accepts only the
 *                             tokens it issued
 *   wsSecurity.usernameToken  the SOAP header's UsernameToken holds the test user, with its
 *                             password in clear or digested (Base64(SHA-1(nonce + created + password)))
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ProviderDefinition } from '../../contracts/types';

export interface Gate {
  /** The OAuth2 token endpoint's path, when the simulator serves one. */
  tokenPath?: string;
  /** Answers a token request: 200 with a token, or 401. */
  token(req: IncomingMessage, body: string): { status: number; body: Record<string, unknown> };
  /** Why an HTTP request is refused (undefined: let in). */
  refuseHttp(req: IncomingMessage, url: URL): string | undefined;
  /** Why a SOAP envelope is refused (undefined: let in). */
  refuseSoap(rawEnvelope: string): string | undefined;
}

const text = (xml: string, local: string) => new RegExp(`<(?:[\\w.-]+:)?${local}\\b[^>]*>([^<]*)</(?:[\\w.-]+:)?${local}>`).exec(xml)?.[1]?.trim();

export function gateOf(def: ProviderDefinition): Gate {
  const sec = def.environments.sandbox?.security ?? def.security;
  const test = def.sandboxSecrets ?? {};
  const expected = (name: string | undefined) => (name ? test[name] : undefined);
  const issued = new Set<string>();
  const oauth = sec?.oauth2;
  return {
    ...(oauth ? { tokenPath: new URL(oauth.tokenUrl).pathname } : {}),
    token(req, body) {
      const form = new URLSearchParams(body);
      let id = form.get('client_id') ?? undefined;
      let secret = form.get('client_secret') ?? undefined;
      const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''));
      if (basic) [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':') as [string, string];
      const wantId = expected(oauth?.clientIdEnv);
      const wantSecret = expected(oauth?.clientSecretEnv);
      if (form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
      if ((wantId && id !== wantId) || (wantSecret && secret !== wantSecret)) return { status: 401, body: { error: 'invalid_client' } };
      const token = randomBytes(18).toString('base64url');
      issued.add(token);
      return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: 300 } };
    },
    refuseHttp(req, url) {
      if (!sec) return undefined;
      const auth = String(req.headers.authorization ?? '');
      if (oauth) {
        const t = /^Bearer (.+)$/.exec(auth)?.[1];
        if (!t || !issued.has(t)) return 'a bearer token issued by the token endpoint is required';
      }
      if (sec.basic) {
        const want = `${expected(sec.basic.usernameEnv) ?? ''}:${expected(sec.basic.passwordEnv) ?? ''}`;
        if (want !== ':' && auth !== `Basic ${Buffer.from(want).toString('base64')}`) return 'HTTP basic credentials are required';
      }
      if (sec.bearer) {
        const want = expected(sec.bearer.tokenEnv);
        if (want && auth !== `Bearer ${want}`) return 'the bearer token is required';
      }
      if (sec.apiKey) {
        const want = expected(sec.apiKey.valueEnv);
        const got = sec.apiKey.in === 'header' ? req.headers[sec.apiKey.name.toLowerCase()] : url.searchParams.get(sec.apiKey.name);
        if (want && got !== want) return `the ${sec.apiKey.name} key is required`;
      }
      return undefined;
    },
    refuseSoap(raw) {
      const ut = sec?.wsSecurity?.usernameToken;
      if (!ut) return undefined;
      const user = expected(ut.usernameEnv);
      const password = expected(ut.passwordEnv);
      if (!user || !password) return undefined;
      const token = /<(?:[\w.-]+:)?UsernameToken\b[\s\S]*?<\/(?:[\w.-]+:)?UsernameToken>/.exec(raw)?.[0];
      if (!token) return 'a WS-Security UsernameToken is required';
      if (text(token, 'Username') !== user) return 'unknown user';
      const given = text(token, 'Password') ?? '';
      const digest = /PasswordDigest/.test(/<(?:[\w.-]+:)?Password\b([^>]*)>/.exec(token)?.[1] ?? '');
      if (!digest) return given === password ? undefined : 'wrong password';
      const nonce = Buffer.from(text(token, 'Nonce') ?? '', 'base64');
      const created = text(token, 'Created') ?? '';
      const want = createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created + password, 'utf8')])).digest('base64');
      return given === want ? undefined : 'wrong password digest';
    },
  };
}
