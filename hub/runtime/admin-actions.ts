/**
 * The editor's and admin API's actions, as audit records: whoever changes something through /red
 * is named, with what they did and how it ended. Deploys are recorded by the flow storage, which
 * sees what changed (storage.ts: `deploy`, `deploy-refused`, `credentials-changed`); a refused
 * permission by Node-RED's own audit event (runtime.ts: `permission-denied`); everything else that
 * changes state here, when it is answered: disabling or enabling a node type, deleting context,
 * pressing an inject button, changing editor settings.
 */
import type { IncomingMessage } from 'node:http';
import { ADMIN_ROOT } from './runtime';

export type AuditAction = (actor: string, action: string, data: Record<string, unknown>) => void;

/** The action a request to the admin API is, or undefined when it is recorded elsewhere or changes nothing. */
export function adminActionOf(method: string, path: string): string | undefined {
  if (!path.startsWith(`${ADMIN_ROOT}/`)) return undefined;
  const p = path.slice(ADMIN_ROOT.length);
  if (/^\/flows?(\/|$)/.test(p) || /^\/auth\//.test(p)) return undefined;
  if (/^\/nodes(\/|$)/.test(p)) return method === 'PUT' ? 'node-set-state' : method === 'DELETE' ? 'node-remove' : 'node-install';
  if (/^\/context\//.test(p)) return method === 'DELETE' ? 'context-delete' : 'context-change';
  if (/^\/inject\//.test(p)) return 'inject';
  if (/^\/debug\//.test(p)) return 'debug-toggle';
  if (/^\/settings(\/|$)/.test(p)) return 'editor-settings';
  if (/^\/library(\/|$)/.test(p)) return 'library-write';
  return 'admin-request';
}

/**
 * What RuntimeMount calls once a request that changes something is answered. `actorOf` names the
 * requester from its credentials. A 401 is no one's action: a request without a session, or one
 * Node-RED refused for its permissions, which its own audit event records.
 */
export function mountAuditor(actorOf: (req: IncomingMessage) => string, audit: AuditAction): (req: IncomingMessage, status: number, url: string) => void {
  return (req, status, url) => {
    if (status === 401) return;
    const path = url.split('?')[0]!.slice(0, 300);
    const action = adminActionOf(req.method ?? '', path);
    if (action) audit(actorOf(req), action, { method: req.method, path, status });
  };
}
