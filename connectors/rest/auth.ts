/**
 * Credentials on REST requests, from the provider's `security` (secrets read from the environment
 * variables it names, through connectors/secrets.ts — or the reader the connector was given, such
 * as a wasl-provider node's credentials — at each call so a rotated secret is used at once): API key (header or query), bearer token, HTTP basic, OAuth2 client credentials, and the
 * TLS identity for mutual TLS.
 *
 * OAuth2: the token is asked of `tokenUrl` with `grant_type=client_credentials` (client id and
 * secret in HTTP basic, RFC 6749 §2.3.1; `scope` and `audience` when configured), cached until
 * shortly before `expires_in` (a tenth of its life, at most 30 s, early), and fetched by ONE
 * request however many calls need it at once. A 401 from the API drops that token; the
 * connector then fetches a new one and retries the call once. Token endpoint failures are
 * TransportError / TimeoutError, or ProviderFault (faultCode the OAuth2 `error`, e.g.
 * invalid_client); no message carries the client secret or the token.
 */
import type { Security } from '../../contracts/types';
import { ProviderFault, type ConnectorError } from '../errors';
import type { HttpClient, TlsOptions } from '../http/client';
import { secret } from '../secrets';
import type { BuiltRequest } from './request';

export interface Timeouts {
  connectTimeoutMs: number;
  timeoutMs: number;
  /** Statuses that count as transient (the policy's retry.statuses). */
  transientStatuses: readonly number[];
}

const MAX_TOKEN_RESPONSE = 64 * 1024;
const DEFAULT_TOKEN_LIFETIME_S = 300;

export class RestAuth {
  private readonly oauth?: OAuth2Tokens;
  private readonly secret: (envName: string) => string;

  /** `readSecret` reads a secret by variable name; connectors/secrets.ts `secret` by default. */
  constructor(private readonly security: Security | undefined, client: HttpClient, readSecret: (envName: string) => string = secret) {
    this.secret = readSecret;
    if (security?.oauth2) this.oauth = new OAuth2Tokens(security.oauth2, client, () => this.tls(), readSecret);
  }

  get usesOAuth2(): boolean {
    return this.oauth !== undefined;
  }

  /**
   * Adds the credentials to `req` (in place). Returns the OAuth2 token it used, so that a 401
   * drops that token and not one another call fetched meanwhile.
   */
  async apply(req: BuiltRequest, t: Timeouts): Promise<string | undefined> {
    const s = this.security;
    if (!s) return undefined;
    if (s.apiKey) {
      const value = this.secret(s.apiKey.valueEnv);
      if (s.apiKey.in === 'header') req.headers[s.apiKey.name] = value;
      else {
        // Appended by hand: URLSearchParams would re-encode the whole query (spaces as '+').
        const pair = `${encodeURIComponent(s.apiKey.name)}=${encodeURIComponent(value)}`;
        req.url.search = req.url.search ? `${req.url.search}&${pair}` : `?${pair}`;
      }
    }
    if (s.basic) {
      const user = this.secret(s.basic.usernameEnv);
      const pass = this.secret(s.basic.passwordEnv);
      req.headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;
    }
    if (s.bearer) req.headers.authorization = `Bearer ${this.secret(s.bearer.tokenEnv)}`;
    if (this.oauth) {
      const token = await this.oauth.get(t);
      req.headers.authorization = `Bearer ${token}`;
      return token;
    }
    return undefined;
  }

  /** After a 401: forget `token` when it is still the cached one. */
  rejected(token: string | undefined): void {
    if (token !== undefined) this.oauth?.invalidate(token);
  }

  /** Mutual TLS and private CA, from security.tls. */
  tls(): TlsOptions | undefined {
    const t = this.security?.tls;
    if (!t) return undefined;
    const out: TlsOptions = {};
    if (t.caEnv) out.ca = this.secret(t.caEnv);
    if (t.certEnv) out.cert = this.secret(t.certEnv);
    if (t.keyEnv) out.key = this.secret(t.keyEnv);
    if (t.passphraseEnv) out.passphrase = this.secret(t.passphraseEnv);
    if (t.rejectUnauthorized !== undefined) out.rejectUnauthorized = t.rejectUnauthorized;
    return out;
  }
}

type OAuth2Config = NonNullable<Security['oauth2']>;

class OAuth2Tokens {
  private cached?: { token: string; refreshAt: number };
  private inflight?: Promise<string>;

  constructor(
    private readonly cfg: OAuth2Config,
    private readonly client: HttpClient,
    private readonly tls: () => TlsOptions | undefined,
    private readonly secret: (envName: string) => string,
  ) {}

  get(t: Timeouts): Promise<string> {
    if (this.cached && Date.now() < this.cached.refreshAt) return Promise.resolve(this.cached.token);
    // One request for everyone waiting; no caller's abort signal is passed, so one caller
    // giving up does not fail the others.
    this.inflight ??= this.fetch(t).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private async fetch(t: Timeouts): Promise<string> {
    const id = this.secret(this.cfg.clientIdEnv);
    const pass = this.secret(this.cfg.clientSecretEnv);
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.cfg.scopes?.length) form.set('scope', this.cfg.scopes.join(' '));
    if (this.cfg.audience) form.set('audience', this.cfg.audience);
    const basic = Buffer.from(`${formEncode(id)}:${formEncode(pass)}`, 'utf8').toString('base64');
    const tls = this.tls();
    const started = Date.now();
    const res = await this.client.request({
      url: this.cfg.tokenUrl,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: `Basic ${basic}` },
      body: form.toString(),
      connectTimeoutMs: t.connectTimeoutMs,
      timeoutMs: t.timeoutMs,
      maxResponseBytes: MAX_TOKEN_RESPONSE,
      ...(tls ? { tls } : {}),
    });
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(res.body.toString('utf8'));
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    if (res.status < 200 || res.status >= 300) {
      const code = typeof body?.error === 'string' && /^[\w.-]{1,64}$/.test(body.error) ? body.error : 'token-request-failed';
      throw tokenFault(res.status, code, t.transientStatuses.includes(res.status), typeof body?.error_description === 'string' ? body.error_description : undefined);
    }
    const token = body?.access_token;
    const type = body?.token_type;
    if (typeof token !== 'string' || token === '' || (type !== undefined && String(type).toLowerCase() !== 'bearer')) {
      throw tokenFault(res.status, 'invalid-token-response', false);
    }
    const expires = Number(body?.expires_in ?? DEFAULT_TOKEN_LIFETIME_S);
    const lifeMs = (Number.isFinite(expires) && expires > 0 ? expires : DEFAULT_TOKEN_LIFETIME_S) * 1000;
    this.cached = { token, refreshAt: started + lifeMs - Math.min(30_000, lifeMs / 10) };
    return token;
  }
}

function tokenFault(status: number, code: string, transient: boolean, providerMessage?: string): ConnectorError {
  return new ProviderFault({ status, faultCode: `oauth2:${code}`, transient, ...(providerMessage ? { providerMessage } : {}) });
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 asks before base64. */
function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+');
}
