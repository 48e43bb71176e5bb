/** Opens the bus the configuration asks for: RabbitMQ with AMQP_URL, else the embedded queue. */
import { join } from 'node:path';
import type { HubConfig } from '../config';
import type { Logger } from '../log';
import { SqliteDatabase } from '../sqlite/database';
import { SqliteStore } from '../store/sqlite';
import type { Bus, DeadLetterSink, ProcessedLog } from './bus';
import { EmbeddedBus } from './embedded';

export type { Bus } from './bus';

export interface OpenedBus {
  bus: Bus;
  /** A database the bus opened for itself, to close after it. */
  close(): Promise<void>;
  /** The store puts each step's event on this bus in the step's own commit: the relay has nothing to wait for. */
  inline?: boolean;
  /** The SQLite database the bus opened for itself (bus.db), shown at /metrics. */
  database?: SqliteDatabase;
}

/** WASL_BUS_VISIBILITY_MS: how long a message a crashed process held stays invisible (default 60 s). */
function visibilityMs(): number | undefined {
  const v = Number(process.env.WASL_BUS_VISIBILITY_MS);
  return Number.isInteger(v) && v >= 100 ? v : undefined;
}

export async function openBus(config: Pick<HubConfig, 'amqpUrl' | 'dataDir'>, store: DeadLetterSink & ProcessedLog, logger: Logger): Promise<OpenedBus> {
  if (config.amqpUrl) {
    // Loaded only when asked for, so the embedded default does not load amqplib.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { RabbitBus } = require('./rabbitmq') as typeof import('./rabbitmq');
    const bus = await RabbitBus.open({ url: config.amqpUrl, store, logger });
    return { bus, close: () => bus.close() };
  }
  if (store instanceof SqliteStore) {
    const bus = new EmbeddedBus({ database: store.database, store, logger, visibilityMs: visibilityMs() });
    const inline = store.publishWithin(bus.publisherWithin(store.database));
    store.settleWithin(bus.settlerWithin(store.database));
    return { bus, close: () => bus.close(), inline };
  }
  // PostgreSQL without RabbitMQ: the queue still needs a durable home; it cannot be shared by
  // processes on other machines, so say so.
  logger.warn('DATABASE_URL without AMQP_URL: the bus is an embedded queue on this machine only; set AMQP_URL to share work between machines');
  const database = new SqliteDatabase(join(config.dataDir, 'bus.db'));
  const bus = new EmbeddedBus({ database, store, logger, visibilityMs: visibilityMs() });
  return {
    bus,
    database,
    close: async () => {
      await bus.close();
      database.close();
    },
  };
}
