/**
 * The bench's own PostgreSQL database and RabbitMQ virtual host, so that it shares neither
 * tables, queues nor statistics with the tests and the chaos suite running on the same servers;
 * both removed at the end.
 */
import { execFileSync } from 'node:child_process';
import { Client } from 'pg';

export interface Services {
  databaseUrl: string;
  database: string;
  amqpUrl: string;
  vhost: string;
  drop(): Promise<void>;
}

function adminClient(url: string): Client {
  return new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
}

function rabbitmqctl(args: string[]): string {
  const ctl = process.env.BENCH_SCALE_RABBITMQCTL ?? 'rabbitmqctl';
  return execFileSync(ctl, args, { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A fresh database on `pgAdminUrl`'s server and a fresh vhost on `amqpBase`'s broker (guest may use it). */
export async function createServices(pgAdminUrl: string, amqpBase: string): Promise<Services> {
  const tag = Math.random().toString(36).slice(2, 10);
  const database = `wasl_bench_scale_${tag}`;
  const vhost = `wasl-bench-scale-${tag}`;
  const admin = adminClient(pgAdminUrl);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const dbUrl = new URL(pgAdminUrl);
  dbUrl.pathname = `/${database}`;
  let vhostMade = false;
  const drop = async () => {
    const c = adminClient(pgAdminUrl);
    try {
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    } finally {
      await c.end().catch(() => undefined);
    }
    if (vhostMade) rabbitmqctl(['delete_vhost', vhost]);
  };
  try {
    rabbitmqctl(['add_vhost', vhost]);
    vhostMade = true;
    const amqp = new URL(amqpBase);
    rabbitmqctl(['set_permissions', '-p', vhost, decodeURIComponent(amqp.username || 'guest'), '.*', '.*', '.*']);
    amqp.pathname = `/${encodeURIComponent(vhost)}`;
    return { databaseUrl: dbUrl.toString(), database, amqpUrl: amqp.toString(), vhost, drop };
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
}
