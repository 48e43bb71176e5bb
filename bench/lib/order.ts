/** The bench channel and the order body every POST sends (the OpenAPI example for one service). */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { OrderRequest } from '../../contracts/types';
import { Catalogue } from '../../hub/catalogue';
import type { ChannelKey } from '../../hub/config';
import { exampleRequest } from '../../hub/gateway/openapi';

export const REPO_ROOT = join(__dirname, '..', '..');
export const FLOWS_DIR = join(REPO_ROOT, 'flows');
export const SERVICE = 'no-criminal-record-certificate';

/** One centre channel for every service, with a rate limit far above what the bench can reach. */
export function benchChannel(): ChannelKey {
  return { channel: 'bench-centre', key: `bench_${randomBytes(24).toString('hex')}`, services: ['*'], kind: 'centre', rateLimit: 1_000_000_000 };
}

export function loadCatalogue(): Catalogue {
  return Catalogue.load(FLOWS_DIR);
}

export function orderBody(catalogue: Catalogue): OrderRequest {
  const service = catalogue.get(SERVICE);
  if (!service) throw new Error(`service ${SERVICE} is not in ${FLOWS_DIR}`);
  return exampleRequest(service);
}

/** Idempotency keys unique across runs: a random prefix and a counter. */
export function keyFactory(): () => string {
  const prefix = randomBytes(6).toString('hex');
  let n = 0;
  return () => `bench-${prefix}-${(n++).toString(36)}`;
}

/**
 * The OpenAPI example order for `code`, paid in cash and collected at the counter, as at a
 * centre: its flow goes straight to the ministry (no payment simulator in the loop), then marks
 * the document ready for pickup (bench:e2e, bench:scale).
 */
export function counterRequest(catalogue: Catalogue, code: string): OrderRequest {
  const service = catalogue.get(code);
  if (!service) throw new Error(`service ${code} is not in ${FLOWS_DIR}`);
  return { ...exampleRequest(service), paymentMethod: 'cash-at-counter', delivery: { method: 'counter' } };
}
