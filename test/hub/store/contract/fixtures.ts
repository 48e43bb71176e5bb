/** What the role suites share: orders built as the gateway builds them, a back end to open per test. */
import type { Order } from '../../../../contracts/types';
import { Catalogue } from '../../../../hub/catalogue';
import { buildOrder } from '../../../../hub/intake';
import type { OrderStore } from '../../../../hub/store';
import { FLOWS_DIR, KEYS, newKey, validRequest } from '../../../helpers';

const catalogue = Catalogue.load(FLOWS_DIR);
export const channel = KEYS.centre;

export function newOrder(at = new Date(), overrides = {}, by = channel): Order {
  return buildOrder(validRequest(overrides), by, catalogue, 'sandbox', at);
}

export async function create(store: OrderStore, order = newOrder()): Promise<Order> {
  const r = await store.createOrder(order, { channel: channel.channel, key: newKey(), requestHash: 'h' });
  return r.order;
}

/** A back end under test: each suite opens a store before each test and closes it after. */
export interface BackEnd<S> {
  open(): Promise<S>;
  close(store: S): Promise<void>;
}
