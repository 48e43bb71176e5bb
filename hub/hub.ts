/**
 * The hub process: store, catalogue and gateway on one HTTP server. Later issues add the bus,
 * the relay and the Node-RED runtime here.
 */
import type { FastifyInstance } from 'fastify';
import { Catalogue } from './catalogue';
import type { ChannelKey, HubConfig } from './config';
import { demoChannelKey } from './demo-key';
import { buildGateway } from './gateway/server';
import { createLogger, type Logger } from './log';
import { openStore, type Store } from './store';
import { observeSteps, stepLogger } from './store/observed';

export interface Hub {
  config: HubConfig;
  app: FastifyInstance;
  store: Store;
  catalogue: Catalogue;
  logger: Logger;
  /** Set when the sandbox made a demo channel because WASL_CHANNEL_KEYS is unset. */
  demoKey?: ChannelKey;
  /** The address it listens on, once listening. */
  url?: string;
  close(): Promise<void>;
}

export interface HubOptions {
  logger?: Logger;
  store?: Store;
}

export async function createHub(config: HubConfig, opts: HubOptions = {}): Promise<Hub> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const catalogue = Catalogue.load(config.flowsDir);
  const demoKey = config.channelKeys ? undefined : demoChannelKey(config.dataDir);
  const channelKeys = config.channelKeys ?? (demoKey ? [demoKey] : []);
  const store = observeSteps(opts.store ?? (await openStore(config)), stepLogger(logger));
  let app: FastifyInstance;
  try {
    app = await buildGateway({ config, store, catalogue, logger, channelKeys, version: VERSION });
    await app.ready();
  } catch (err) {
    await store.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const hub: Hub = {
    config,
    app,
    store,
    catalogue,
    logger,
    demoKey,
    close: () =>
      (closing ??= (async () => {
        // Stop taking requests and finish those in flight, then close the store.
        await app.close();
        await store.close();
      })()),
  };
  return hub;
}

export async function startHub(config: HubConfig, opts: HubOptions = {}): Promise<Hub> {
  const hub = await createHub(config, opts);
  hub.url = await hub.app.listen({ host: config.host, port: config.port });
  hub.logger.info({ url: hub.url, env: config.env, store: hub.store.kind, services: hub.catalogue.all().length }, 'wasl hub started');
  return hub;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = (require('../package.json') as { version: string }).version;
