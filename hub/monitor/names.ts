/**
 * What the dashboard calls things, in Arabic and English, for the codes its figures carry: order
 * statuses (contracts/order-status-names.json, the one list of them: a status missing from it
 * fails the type check below), services (service.json `names`, from the catalogue) and providers —
 * ministries, the payment companies, the post (provider.json `names`). A code with no name
 * shows as itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PROVIDERS_ROOT } from '../../connectors/provider-files';
import statusNames from '../../contracts/order-status-names.json';
import type { OrderStatus, Text } from '../../contracts/types';
import type { Catalogue } from '../catalogue';

/** Every order status's name, in Arabic and English. */
export const STATUS_NAMES: Readonly<Record<OrderStatus, Text>> = statusNames;

export interface Names {
  statuses: Record<string, Text>;
  services: Record<string, Text>;
  providers: Record<string, Text>;
}

/** Each provider's names from its provider.json under root; one that cannot be read is left out. */
export function providerNames(root: string = DEFAULT_PROVIDERS_ROOT): Record<string, Text> {
  const out: Record<string, Text> = {};
  let dirs: string[];
  try {
    dirs = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return out;
  }
  for (const code of dirs.sort()) {
    try {
      const names = (JSON.parse(readFileSync(join(root, code, 'provider.json'), 'utf8')) as { names?: Partial<Text> }).names;
      if (typeof names?.ar === 'string' && typeof names.en === 'string') out[code] = { ar: names.ar, en: names.en };
    } catch {
      /* a provider being written: its code stands for it */
    }
  }
  return out;
}

/** The names the dashboard shows: statuses, the catalogue's services (those the release gate refused too), the providers. */
export function dashboardNames(catalogue: Catalogue, providers: Record<string, Text>): Names {
  const services: Record<string, Text> = {};
  for (const s of catalogue.all()) services[s.definition.code] = s.definition.names;
  return { statuses: { ...STATUS_NAMES }, services, providers };
}
