/**
 * Payment and delivery configuration (config/fulfilment.json, or WASL_FULFILMENT_CONFIG), checked
 * against contracts/fulfilment.schema.json at start: which provider takes which payment method,
 * the payment deadline, exchange rates for payments from abroad (each order records the rate and
 * its date), where the post delivers at home — whole governorates or some of their cities, as
 * the service grows governorate by governorate — and the countries international mail serves,
 * with their fees.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createAjv, pointErrors, ref } from '../contracts';
import type { Delivery, Fees, FulfilmentConfig, PaymentMethod } from '../contracts/types';
import type { FieldError } from './errors';
import { fieldError } from './field-errors';

export const DEFAULT_FULFILMENT_FILE = resolve(__dirname, '..', 'config', 'fulfilment.json');

export class FulfilmentConfigError extends Error {
  override name = 'FulfilmentConfigError';
}

/** Lower case, without Arabic diacritics and tatweel, spaces collapsed: how city names are compared. */
export function normaliseCity(name: string): string {
  return name
    .normalize('NFKC')
    .replace(/[\u064B-\u0652\u0640]/g, '')
    .replace(/[أإآ]/g, 'ا')
    .replace(/ة\b/g, 'ه')
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();
}

export interface Settlement {
  currency: string;
  amountMinor: number;
  rate: number;
  rateDate: string;
}

export class Fulfilment {
  private readonly cities = new Map<string, Set<string> | 'all'>();

  constructor(readonly config: FulfilmentConfig) {
    for (const [gov, cover] of Object.entries(config.postal.domestic.coverage)) {
      if (!cover) continue;
      this.cities.set(gov, cover === 'all' ? 'all' : new Set(cover.map(normaliseCity)));
    }
    const currency = config.payments.international.currency;
    if (!config.payments.rates.some((r) => r.currency === currency)) {
      throw new FulfilmentConfigError(`payments.rates has no rate for ${currency}, the international provider's currency`);
    }
  }

  static load(file: string = DEFAULT_FULFILMENT_FILE): Fulfilment {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new FulfilmentConfigError(`${file}: ${(err as Error).message}`);
    }
    const validate = createAjv().getSchema(ref('fulfilment'));
    if (!validate) throw new Error('fulfilment schema missing');
    if (!validate(raw)) {
      throw new FulfilmentConfigError(`${file} is invalid: ${pointErrors(validate.errors).map((e) => `${e.pointer} ${e.message}`).join('; ')}`);
    }
    return new Fulfilment(raw as FulfilmentConfig);
  }

  /** Why the post cannot take this delivery, or undefined when it can. */
  coverageError(delivery: Delivery): FieldError | undefined {
    if (delivery.method === 'domestic-post') {
      const cover = this.cities.get(delivery.governorate);
      if (!cover) return fieldError('/delivery/governorate', 'is not yet served by the national post', 'البريد لا يخدم هذه المحافظة بعد');
      if (cover !== 'all' && !cover.has(normaliseCity(delivery.city))) {
        return fieldError('/delivery/city', 'is not yet served by the national post in this governorate', 'البريد لا يخدم هذه المدينة بعد');
      }
    }
    if (delivery.method === 'international-post' && !this.config.postal.international.countries[delivery.country]) {
      return fieldError('/delivery/country', 'is not served by international mail', 'البريد الدولي لا يخدم هذا البلد');
    }
    return undefined;
  }

  /** The delivery fee when the configuration sets it (international mail, by country). */
  deliveryFee(delivery: Delivery): number | undefined {
    return delivery.method === 'international-post' ? this.config.postal.international.countries[delivery.country]?.fee : undefined;
  }

  /** The payment provider of a method; undefined for cash. */
  paymentProvider(method: PaymentMethod): string | undefined {
    if (method === 'e-payment') return this.config.payments.domestic.provider;
    if (method === 'international-card') return this.config.payments.international.provider;
    return undefined;
  }

  /** The total in the international provider's currency, rounded up to the cent. */
  settlement(fees: Fees): Settlement {
    const currency = this.config.payments.international.currency;
    const rate = this.config.payments.rates.filter((r) => r.currency === currency).sort((a, b) => (a.date < b.date ? 1 : -1))[0]!;
    return { currency, amountMinor: Math.ceil((fees.total * 100) / rate.perUnit), rate: rate.perUnit, rateDate: rate.date };
  }

  get deadlineMs(): number {
    return this.config.payments.deadlineMinutes * 60_000;
  }

  get postalProvider(): string {
    return this.config.postal.provider;
  }
}
