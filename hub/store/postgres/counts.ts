/** The metric counts on PostgreSQL: orders by service and status, SLA breaches, dead letters by reason. */
import type { Pool } from 'pg';
import type { OrderStatus } from '../../../contracts/types';
import { orderIdFloor } from '../../ids';
import type { MetricCounts } from '../store';

export class PgCounts implements MetricCounts {
  constructor(private readonly pool: Pool) {}

  async orderCounts(): Promise<Array<{ service: string; status: OrderStatus; count: number }>> {
    const { rows } = await this.pool.query<{ service: string; status: OrderStatus; count: string }>('SELECT service_code AS service, status, COUNT(*) AS count FROM orders GROUP BY service_code, status');
    return rows.map((r) => ({ service: r.service, status: r.status, count: Number(r.count) }));
  }

  async countOrders(service: string, statuses: readonly OrderStatus[], before: Date): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM orders WHERE service_code = $1 AND status = ANY($2) AND id < $3', [service, [...statuses], orderIdFloor(before)]);
    return Number(rows[0]?.n ?? 0);
  }

  async deadLetterCounts(): Promise<Array<{ service: string; reason: string; count: number }>> {
    const { rows } = await this.pool.query<{ service: string; reason: string; count: string }>('SELECT service_code AS service, reason, COUNT(*) AS count FROM dead_letters GROUP BY service_code, reason');
    return rows.map((r) => ({ service: r.service, reason: r.reason, count: Number(r.count) }));
  }
}
