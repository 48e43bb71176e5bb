/** The row shape of the operational records of provider calls, shared by both back ends. */
import type { CallRecord } from '../../connectors/connector';
import type { ProviderCallRecord } from './store';

export const CALL_COLUMNS = 'provider, operation, order_id, endpoint, started_at, finished_at, duration_ms, outcome, status, fault_code, attempts, request_bytes, response_bytes';

export function callRow(r: { provider: string; operation: string; order_id: string | null; endpoint: string; started_at: string; finished_at: string; duration_ms: number | string; outcome: string; status: number | null; fault_code: string | null; attempts: number | string; request_bytes: number | string; response_bytes: number | string }): ProviderCallRecord {
  return {
    provider: r.provider,
    operation: r.operation,
    ...(r.order_id ? { orderId: r.order_id } : {}),
    endpoint: r.endpoint,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: Number(r.duration_ms),
    outcome: r.outcome as ProviderCallRecord['outcome'],
    ...(r.status !== null ? { status: Number(r.status) } : {}),
    ...(r.fault_code ? { faultCode: r.fault_code } : {}),
    attempts: Number(r.attempts),
    requestBytes: Number(r.request_bytes),
    responseBytes: Number(r.response_bytes),
  };
}

export const finishedAt = (r: CallRecord) => new Date(Date.parse(r.startedAt) + Math.round(r.durationMs)).toISOString();
export const callValues = (r: CallRecord) => [r.provider, r.operation, r.orderId ?? null, r.endpoint, r.startedAt, finishedAt(r), Math.round(r.durationMs), r.outcome, r.status ?? null, r.faultCode ?? null, r.attempts, r.requestBytes, r.responseBytes];
