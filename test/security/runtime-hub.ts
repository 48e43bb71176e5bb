/** Shared by the security suites that need the flows runtime: a hub with one service's tab, listening on loopback. */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubConfig } from '../../hub/config';
import type { HubOptions } from '../../hub/hub';
import { FLOWS_DIR, setProviderCallbackSecrets, testHub, type TestHub } from '../helpers';

export { until } from '../hub/bus/contract';

export const SERVICE = 'civil-registry-individual-extract';

/** A flows folder with the service's definition and a flow of `nodes` on its tab `tab1`. */
export function serviceFlowsDir(nodes: Array<Record<string, unknown>> = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-test-flows-'));
  mkdirSync(join(dir, SERVICE));
  copyFileSync(join(FLOWS_DIR, SERVICE, 'service.json'), join(dir, SERVICE, 'service.json'));
  writeFileSync(join(dir, SERVICE, 'flow.json'), JSON.stringify([{ id: 'tab1', type: 'tab', label: SERVICE }, ...nodes], null, 2));
  return dir;
}

export async function runtimeHub(overrides: Partial<HubConfig> = {}, opts: Omit<HubOptions, 'store' | 'logger'> = {}): Promise<{ hub: TestHub; url: string; port: number }> {
  const restore = setProviderCallbackSecrets();
  const hub = await testHub({ flowsDir: serviceFlowsDir(), ...overrides }, undefined, { runtime: true, ...opts }).finally(restore);
  try {
    await hub.startBackground();
    const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
    return { hub, url, port: Number(new URL(url).port) };
  } catch (err) {
    await hub.close();
    throw err;
  }
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request with full control of its headers (fetch forbids setting Host, Origin and
 * Sec-Fetch-*) and of the address it comes from (`from`: any 127.x address of this machine).
 */
export function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers, ...(opts.from ? { localAddress: opts.from } : {}), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The editor's login (OAuth2 password grant) from `from`; the token, or the refusal's status. */
export async function editorLogin(url: string, username: string, password: string, from?: string): Promise<{ status: number; token?: string; retryAfter?: number }> {
  const res = await raw(`${url}/red/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'node-red-editor', grant_type: 'password', scope: '', username, password }).toString(),
    ...(from ? { from } : {}),
  });
  const token = res.status === 200 ? (JSON.parse(res.body) as { access_token: string }).access_token : undefined;
  return { status: res.status, ...(token ? { token } : {}), ...(res.headers['retry-after'] ? { retryAfter: Number(res.headers['retry-after']) } : {}) };
}

/** The running flows and their revision, as the editor reads them. */
export async function currentFlows(url: string, headers: Record<string, string> = {}): Promise<{ rev: string; flows: Array<Record<string, unknown>> }> {
  const res = await raw(`${url}/red/flows`, { headers: { ...headers, 'node-red-api-version': 'v2' } });
  if (res.status !== 200) throw new Error(`GET /red/flows answered ${res.status}`);
  return JSON.parse(res.body) as { rev: string; flows: Array<Record<string, unknown>> };
}

/** A full deploy of `flows`, as the editor's Deploy button sends it. */
export function deploy(url: string, rev: string, flows: Array<Record<string, unknown>>, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw(`${url}/red/flows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'node-red-api-version': 'v2', 'node-red-deployment-type': 'full', ...headers },
    body: JSON.stringify({ rev, flows }),
  });
}
