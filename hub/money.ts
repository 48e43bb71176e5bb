/**
 * Sums of money as the hub states them to people: an amount in the currency's minor units (the
 * unit every amount of the hub is in — whole pounds for SYP, cents for USD), how many digits of
 * the currency those units are, and the amount written out in Arabic and English
 * (Intl.NumberFormat with the currency: "$19.43" and "19.43 US$", "SYP 2,500" and "2,500 ل.س." — the Arabic
 * with the right-to-left marks ICU puts around it).
 *
 * The currency's minor digits are ICU's (ISO 4217 as CLDR uses it): SYP 0, which is also the
 * hub's unit for the pound (contracts/order.schema.json Money: "whole pounds for SYP"), USD and
 * EUR 2. A well-formed code ICU does not know counts 2 digits, as Intl does.
 */
import type { Text } from '../contracts/types';

const CURRENCY = /^[A-Z]{3}$/;

const formatters = new Map<string, Intl.NumberFormat>();
function formatter(locale: 'ar' | 'en', currency: string): Intl.NumberFormat {
  const key = `${locale}:${currency}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.NumberFormat(locale, { style: 'currency', currency })));
  return f;
}

/** The digits of a currency's minor unit: 0 for SYP (and JPY), 2 for USD and EUR, 3 for KWD. */
export function minorDigits(currency: string): number {
  if (!CURRENCY.test(currency)) throw new RangeError(`not a currency code: ${currency}`);
  return formatter('en', currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** What a receipt says of its sum, beside `amount` and `currency`. */
export interface StatedAmount {
  /** The amount in the currency's minor units: 10^-minorDigits of the currency. */
  amountMinor: number;
  minorDigits: number;
  /** The amount written for people, in Arabic and English. */
  display: Text;
}

/** An amount in minor units (1943 USD is $19.43; 2500 SYP is 2,500 pounds), stated for people. */
export function statedAmount(amountMinor: number, currency: string): StatedAmount {
  const digits = minorDigits(currency);
  const value = amountMinor / 10 ** digits;
  return { amountMinor, minorDigits: digits, display: { ar: formatter('ar', currency).format(value), en: formatter('en', currency).format(value) } };
}
