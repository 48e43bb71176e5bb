/**
 * X-Road message headers (protocol 4.x) for one call, as JSON values of the operation's header
 * parts (model.ts M4/E4/A1: the identifiers' `iden:objectType` attribute is "@objectType"):
 *   client          the provider file's `xroad.client` (wasl's own member/subsystem)
 *   service         `xroad.service` plus serviceCode = the operation, serviceVersion from the
 *                   config or else the binding's xrd:version
 *   id              CallContext.idempotencyKey, or a fresh UUID — the same on every attempt of
 *                   a call (the caller makes it once per call), so the provider can deduplicate
 *   userId          CallContext.userId (a channel or an operator, never a citizen), when given
 *   issue           CallContext.orderId, when given
 *   protocolVersion `xroad.protocolVersion`, default 4.0
 * Header parts are recognised by their element (namespace http://x-road.eu/xsd/xroad.xsd and
 * local name), not by the part name, since WSDLs name parts freely.
 */
import { randomUUID } from 'node:crypto';
import type { XRoad, XRoadMember } from '../../contracts/types';
import type { CallContext } from '../connector';
import type { HeaderModel, OperationModel } from './model';

export const XROAD_NS = 'http://x-road.eu/xsd/xroad.xsd';

function member(m: XRoadMember, objectType: 'MEMBER' | 'SUBSYSTEM' | 'SERVICE'): Record<string, unknown> {
  const out: Record<string, unknown> = {
    '@objectType': objectType,
    xRoadInstance: m.xRoadInstance,
    memberClass: m.memberClass,
    memberCode: m.memberCode,
  };
  if (m.subsystemCode !== undefined) out.subsystemCode = m.subsystemCode;
  return out;
}

/** Which X-Road header element each header part of the operation carries. */
export function xroadParts(headers: HeaderModel[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const h of headers) if (h.element.ns === XROAD_NS) out.set(h.element.name, h.part);
  return out;
}

export interface XRoadHeaderBuilder {
  /**
   * Header values by part name for one call (read them by key: the constant ones are inherited);
   * `id` is fixed by the caller for all attempts.
   */
  build(ctx: CallContext, id: string): Record<string, unknown>;
}

/**
 * Precomputes the per-operation constant parts (client, service, protocolVersion) once.
 * Returns undefined when the operation declares no X-Road headers.
 */
export function compileXRoadHeaders(cfg: XRoad, op: OperationModel): XRoadHeaderBuilder | undefined {
  const parts = xroadParts(op.inputHeaders);
  if (parts.size === 0) return undefined;
  const constant: Record<string, unknown> = {};
  const clientPart = parts.get('client');
  if (clientPart) constant[clientPart] = member(cfg.client, cfg.client.subsystemCode !== undefined ? 'SUBSYSTEM' : 'MEMBER');
  const servicePart = parts.get('service');
  if (servicePart) {
    const s = member(cfg.service, 'SERVICE');
    s.serviceCode = op.name;
    const version = cfg.service.serviceVersion ?? op.version;
    if (version !== undefined) s.serviceVersion = version;
    constant[servicePart] = s;
  }
  const pv = parts.get('protocolVersion');
  if (pv) constant[pv] = cfg.protocolVersion ?? '4.0';
  // Frozen: the header encoder may then reuse their XML from one call to the next.
  for (const v of Object.values(constant)) if (typeof v === 'object' && v !== null) deepFreeze(v);
  const idPart = parts.get('id');
  const userPart = parts.get('userId');
  const issuePart = parts.get('issue');
  // The constant parts sit on a prototype: a call's header values are one small object on top.
  const proto = Object.freeze(constant);
  return {
    build(ctx, id) {
      const out: Record<string, unknown> = Object.create(proto) as Record<string, unknown>;
      if (idPart) out[idPart] = id;
      if (userPart && ctx.userId !== undefined) out[userPart] = ctx.userId;
      if (issuePart && ctx.orderId !== undefined) out[issuePart] = ctx.orderId;
      return out;
    },
  };
}

function deepFreeze(o: object): void {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v);
  Object.freeze(o);
}

export function messageId(ctx: CallContext): string {
  return ctx.idempotencyKey ?? randomUUID();
}
