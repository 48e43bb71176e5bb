/**
 * What an OpenAPI document tells about the provider file: its name, endpoints (`servers`: the
 * production address, see connectors/import/write.ts) and a security skeleton from
 * `securitySchemes`. Secrets are named, never given: environment variable names derived from
 * the provider code in UPPER_SNAKE (`moi-traffic` → `MOI_TRAFFIC_API_KEY`), which the
 * integration engineer sets (or renames) before calling.
 *
 * The schemes used are those of the document's first global security requirement (all
 * declared schemes when there is none): apiKey (header or query) → apiKey, http bearer → bearer,
 * http basic → basic, oauth2 clientCredentials → oauth2 with its token URL and scopes,
 * mutualTLS → tls (client certificate and key). Anything else is a warning.
 */
import type { ProviderDefinition, Security } from '../../../contracts/types';
import type { DocumentSet } from './documents';

type Obj = Record<string, unknown>;

export function envPrefix(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

export function providerHints(code: string, docs: DocumentSet, warnings: string[]): { provider: Partial<ProviderDefinition>; endpoints: string[] } {
  const root = docs.rootValue as Obj;
  const info = (isObject(root.info) ? root.info : {}) as Obj;
  const title = typeof info.title === 'string' && info.title.trim() ? info.title.trim() : code;
  const endpoints = serverUrls(root, docs, warnings);
  const provider: Partial<ProviderDefinition> = {
    code,
    kind: 'rest',
    contract: { type: 'openapi' },
    names: { ar: title, en: title },
  };
  // Where they go (production, never the sandbox: that is the generated simulator) is connectors/import/write.ts's.
  if (!endpoints[0]) warnings.push('the contract gives no absolute server URL: set environments.production.endpoint in provider.json');
  const security = securityFor(code, root, docs, warnings);
  if (security) provider.security = security;
  return { provider, endpoints };
}

function serverUrls(root: Obj, docs: DocumentSet, warnings: string[]): string[] {
  const servers = Array.isArray(root.servers) ? root.servers.filter(isObject) : [];
  const out: string[] = [];
  for (const s of servers) {
    if (typeof s.url !== 'string') continue;
    const vars = isObject(s.variables) ? s.variables : {};
    const url = s.url.replace(/\{([^}]+)\}/g, (m, v: string) => {
      const d = isObject(vars[v]) ? (vars[v] as Obj).default : undefined;
      return typeof d === 'string' ? d : m;
    });
    if (url.includes('{')) warnings.push(`server URL "${s.url}" has a variable without a default and was not used`);
    else if (/^https?:\/\//i.test(url)) out.push(url.replace(/\/+$/, ''));
    else if (docs.rootIsRemote) out.push(new URL(url, docs.root).href.replace(/\/+$/, ''));
    else warnings.push(`server URL "${s.url}" is not absolute and was not used`);
  }
  return [...new Set(out)];
}

function securityFor(code: string, root: Obj, docs: DocumentSet, warnings: string[]): Security | undefined {
  const components = isObject(root.components) ? root.components : {};
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : {};
  const names = Object.keys(schemes);
  if (names.length === 0) return undefined;
  let chosen = names;
  if (Array.isArray(root.security)) {
    const first = root.security.find((r) => isObject(r) && Object.keys(r).length > 0);
    if (isObject(first)) chosen = Object.keys(first);
    if (root.security.length > 1) warnings.push('the contract offers alternative security requirements; the first one was configured');
  }
  const env = envPrefix(code);
  const out: Security = {};
  for (const name of chosen) {
    const scheme = docs.deref(schemes[name], docs.root).value;
    if (!isObject(scheme)) continue;
    const type = String(scheme.type ?? '');
    if (type === 'apiKey' && (scheme.in === 'header' || scheme.in === 'query') && typeof scheme.name === 'string') {
      set(out, 'apiKey', { in: scheme.in, name: scheme.name, valueEnv: `${env}_API_KEY` }, warnings);
    } else if (type === 'http' && String(scheme.scheme).toLowerCase() === 'bearer') {
      set(out, 'bearer', { tokenEnv: `${env}_TOKEN` }, warnings);
    } else if (type === 'http' && String(scheme.scheme).toLowerCase() === 'basic') {
      set(out, 'basic', { usernameEnv: `${env}_USERNAME`, passwordEnv: `${env}_PASSWORD` }, warnings);
    } else if (type === 'oauth2' && isObject(scheme.flows) && isObject(scheme.flows.clientCredentials) && typeof scheme.flows.clientCredentials.tokenUrl === 'string') {
      const cc = scheme.flows.clientCredentials;
      const scopes = isObject(cc.scopes) ? Object.keys(cc.scopes) : [];
      set(out, 'oauth2', { tokenUrl: absolute(cc.tokenUrl as string, docs), clientIdEnv: `${env}_CLIENT_ID`, clientSecretEnv: `${env}_CLIENT_SECRET`, ...(scopes.length ? { scopes } : {}) }, warnings);
    } else if (type === 'mutualTLS') {
      set(out, 'tls', { certEnv: `${env}_TLS_CERT`, keyEnv: `${env}_TLS_KEY` }, warnings);
    } else {
      warnings.push(`security scheme "${name}" (${type}${type === 'oauth2' ? ' without client credentials' : ''}) is not supported; configure security by hand`);
    }
  }
  return Object.keys(out).length ? out : undefined;
}

function set<K extends keyof Security>(out: Security, key: K, value: NonNullable<Security[K]>, warnings: string[]): void {
  if (out[key]) {
    warnings.push(`more than one ${key} security scheme; the first was configured`);
    return;
  }
  out[key] = value;
}

function absolute(url: string, docs: DocumentSet): string {
  if (/^https?:\/\//i.test(url) || !docs.rootIsRemote) return url;
  return new URL(url, docs.root).href;
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
