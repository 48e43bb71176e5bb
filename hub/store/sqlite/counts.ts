/** The metric counts on SQLite: orders by service and status, SLA breaches, dead letters by reason. */
import type { OrderStatus } from '../../../contracts/types';
import { orderIdFloor } from '../../ids';
import type { SqliteDatabase } from '../../sqlite/database';
import type { MetricCounts } from '../store';

export class SqliteCounts implements MetricCounts {
  constructor(private readonly database: SqliteDatabase) {}

  async orderCounts(): Promise<Array<{ service: string; status: OrderStatus; count: number }>> {
    return this.database.db.prepare<[], { service: string; status: OrderStatus; count: number }>('SELECT service_code AS service, status, COUNT(*) AS count FROM orders GROUP BY service_code, status').all();
  }

  async countOrders(service: string, statuses: readonly OrderStatus[], before: Date): Promise<number> {
    if (statuses.length === 0) return 0;
    const row = this.database.db
      .prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM orders WHERE service_code = ? AND status IN (${statuses.map(() => '?').join(', ')}) AND id < ?`)
      .get(service, ...statuses, orderIdFloor(before));
    return row?.n ?? 0;
  }

  async deadLetterCounts(): Promise<Array<{ service: string; reason: string; count: number }>> {
    return this.database.db.prepare<[], { service: string; reason: string; count: number }>('SELECT service_code AS service, reason, COUNT(*) AS count FROM dead_letters GROUP BY service_code, reason').all();
  }
}
