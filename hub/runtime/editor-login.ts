/**
 * The editor's and admin API's login, owned by wasl rather than Node-RED. Node-RED's password
 * exchange (POST /red/auth/token) allows 5 attempts per user name in 10 minutes, whoever makes
 * them: 40 wrong guesses by a stranger and the right admin password got a 500 for 10 minutes. It
 * also knows nothing of the client address, so it cannot hold back the guesser alone.
 *
 * So the gateway answers POST /red/auth/token and /red/auth/revoke itself (Fastify's exact routes
 * win over the /red/* pass-through), checks the password through the process's OperatorAuth (per
 * address and per user limits, a cap on scrypt work, an audit record per attempt) and issues its
 * own session tokens, which Node-RED accepts through adminAuth's documented `tokens` hook. The
 * wire format is Node-RED's (OAuth2 password grant in, `{access_token, expires_in, token_type}`
 * out), so the editor and node-red-admin work unchanged; Node-RED's own `authenticate` never
 * succeeds, so nothing reaches its exchange.
 *
 * Sessions are kept by the SHA-256 of their token only (in memory and in the data directory,
 * 0600): the file lets an engineer stay logged in across a restart and gives its reader nothing
 * to log in with. A session lasts a working day and ends early when its operator leaves
 * WASL_OPERATORS; its permissions are always the operator's current role's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { WaslEnv } from '../config';
import type { OperatorAuth } from '../operator-auth';
import { runtimePermissions, type OperatorRole } from '../operators';
import { writePrivateFile } from '../private-files';
import { ADMIN_ROOT } from './runtime';

/** An editor session lasts a working day. */
export const SESSION_SECONDS = 12 * 60 * 60;
const CLIENTS = new Set(['node-red-editor', 'node-red-admin']);
const MAX_SESSIONS = 10_000;

interface Session {
  user: string;
  expires: number;
}

export interface RuntimeUser {
  username: string;
  permissions: string | string[];
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

export class EditorLogin {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly auth: OperatorAuth,
    private readonly env: WaslEnv,
    /** Where sessions are kept (their hashes); none: memory only. */
    private readonly file?: string,
    private readonly now: () => number = Date.now,
  ) {
    if (file && existsSync(file)) {
      try {
        const kept = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Session>;
        for (const [h, s] of Object.entries(kept)) if (typeof s?.user === 'string' && typeof s.expires === 'number') this.sessions.set(h, s);
      } catch {
        // An unreadable file only logs everyone out.
      }
    }
  }

  /** Node-RED's adminAuth: no anonymous user, no login of its own, wasl's session tokens. */
  adminAuth(): Record<string, unknown> {
    return {
      type: 'credentials',
      sessionExpiryTime: SESSION_SECONDS,
      users: async (username: string) => this.userOf(username) ?? null,
      authenticate: async () => null,
      tokens: async (token: string) => this.user(token) ?? null,
    };
  }

  /** The user a token is a live session of. */
  user(token: string): RuntimeUser | undefined {
    if (typeof token !== 'string' || token.length > 256) return undefined;
    const h = hashOf(token);
    const s = this.sessions.get(h);
    if (!s) return undefined;
    if (s.expires <= this.now()) {
      this.sessions.delete(h);
      return undefined;
    }
    return this.userOf(s.user);
  }

  /** Registers POST <admin root>/auth/token and /auth/revoke on the gateway. */
  register(app: FastifyInstance): void {
    void app.register(async (scope) => {
      // The editor posts its login as a form; this parser is for these two routes only.
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      });
      scope.post(`${ADMIN_ROOT}/auth/token`, { bodyLimit: 4096, schema: { hide: true } }, async (request, reply) => {
        const b = (request.body ?? {}) as Record<string, unknown>;
        const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : '');
        if (str('grant_type') !== 'password' || !CLIENTS.has(str('client_id'))) return oauthError(reply, 400, 'unsupported_grant_type', 'wasl takes the password grant of the node-red-editor or node-red-admin client');
        const username = str('username');
        const result = await this.auth.password(username, str('password'), request.ip, 'editor');
        if (!result.ok) {
          if (result.reason === 'wrong') return oauthError(reply, 403, 'invalid_grant', 'Invalid resource owner credentials');
          reply.header('retry-after', String(result.retryAfterSec));
          return oauthError(reply, 429, 'slow_down', `Too many failed logins: try again in ${result.retryAfterSec} s / محاولات دخول فاشلة كثيرة: أعد المحاولة بعد ${result.retryAfterSec} ثانية`);
        }
        const user = this.userOf(result.operator.user)!;
        // OAuth2 scopes are space-separated; none asks for whatever the user may do.
        const asked = str('scope');
        if (!hasPermission(user.permissions, asked === '' ? '' : asked.split(' ').filter(Boolean))) {
          return oauthError(reply, 403, 'invalid_scope', 'The user may not have the permissions asked for');
        }
        const token = randomBytes(32).toString('base64url');
        this.sessions.set(hashOf(token), { user: user.username, expires: this.now() + SESSION_SECONDS * 1000 });
        this.save();
        reply.header('cache-control', 'no-store');
        return { access_token: token, expires_in: SESSION_SECONDS, token_type: 'Bearer' };
      });
      scope.post(`${ADMIN_ROOT}/auth/revoke`, { bodyLimit: 4096, schema: { hide: true } }, async (request, reply) => {
        const bearer = /^Bearer (\S{1,256})$/.exec(request.headers.authorization ?? '')?.[1];
        const caller = bearer ? this.user(bearer) : undefined;
        if (!caller) return reply.code(401).send();
        const token = (request.body as Record<string, unknown> | undefined)?.token;
        const h = typeof token === 'string' ? hashOf(token) : undefined;
        // One's own sessions only.
        if (h && this.sessions.get(h)?.user === caller.username) {
          this.sessions.delete(h);
          this.save();
        }
        return reply.code(200).send();
      });
    });
  }

  private userOf(username: string): RuntimeUser | undefined {
    const o = typeof username === 'string' ? this.auth.find(username) : undefined;
    return o ? { username: o.user, permissions: runtimePermissions(o.role as OperatorRole, this.env) } : undefined;
  }

  private save(): void {
    const now = this.now();
    for (const [h, s] of this.sessions) if (s.expires <= now) this.sessions.delete(h);
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    if (this.file) writePrivateFile(this.file, `${JSON.stringify(Object.fromEntries(this.sessions))}\n`);
  }
}

function oauthError(reply: FastifyReply, status: number, error: string, description: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('application/json').send(JSON.stringify({ error, error_description: description }));
}

/** Node-RED's permission rule (editor-api/lib/auth/permissions.js): `*`, exact, or `read`/`write` for any `<x>.read`/`<x>.write`. */
export function hasPermission(userScope: string | string[], permission: string | string[]): boolean {
  if (permission === '') return true;
  if (Array.isArray(permission)) return permission.every((p) => hasPermission(userScope, p));
  if (Array.isArray(userScope)) return userScope.some((s) => hasPermission(s, permission));
  if (userScope === '*' || userScope === permission) return true;
  if (userScope === 'read' || userScope === '*.read') return /^((.+)\.)?read$/.test(permission);
  if (userScope === 'write' || userScope === '*.write') return /^((.+)\.)?write$/.test(permission);
  return false;
}
