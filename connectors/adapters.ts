/**
 * Which adapter speaks a payment or postal provider's contract: the one its provider file names
 * in `adapter` (contracts/provider.schema.json lists the same names, and a test holds the two
 * lists equal). Nothing is guessed from the operations a contract offers: a payment or postal
 * provider whose file names no adapter, or one of the other kind, is refused with the file's name.
 *
 *   sy-epay-invoices    connectors/payment/sy-epay-invoices.ts    invoices in pounds (sy-epay)
 *   intl-pay-intents    connectors/payment/intl-pay-intents.ts    payment intents in minor units (intl-pay)
 *   sy-post-shipments   connectors/postal/sy-post-shipments.ts    shipments (sy-post)
 *
 * A company with another API gets an adapter of its own beside these, its name here and in the
 * schema's `adapter` enum.
 */
import path from 'node:path';
import type { Connector } from './connector';
import type { PaymentAdapter } from './payment/adapter';
import { IntlPayIntentAdapter } from './payment/intl-pay-intents';
import { SyEpayInvoiceAdapter } from './payment/sy-epay-invoices';
import type { PostalAdapter } from './postal/adapter';
import { SyPostShipmentAdapter } from './postal/sy-post-shipments';
import type { LoadedProvider } from './provider-files';

type Factory<A> = (provider: string, connector: Connector) => A;

export const PAYMENT_ADAPTERS: Readonly<Record<string, Factory<PaymentAdapter>>> = {
  'sy-epay-invoices': (provider, connector) => new SyEpayInvoiceAdapter(provider, connector),
  'intl-pay-intents': (provider, connector) => new IntlPayIntentAdapter(provider, connector),
};

export const POSTAL_ADAPTERS: Readonly<Record<string, Factory<PostalAdapter>>> = {
  'sy-post-shipments': (provider, connector) => new SyPostShipmentAdapter(provider, connector),
};

/** A payment or postal provider's file names no adapter, or one of the other kind. */
export class AdapterChoiceError extends Error {
  override name = 'AdapterChoiceError';
}

/** A provider as connectors/provider-files.ts loads it: its definition and its folder. */
export type ProviderFile = Pick<LoadedProvider, 'definition' | 'dir'>;

function choose<A>(kind: 'payment' | 'postal', adapters: Readonly<Record<string, Factory<A>>>, provider: ProviderFile, connector: Connector): A {
  const file = path.join(provider.dir, 'provider.json');
  const name = provider.definition.adapter;
  const known = Object.keys(adapters)
    .map((n) => `"${n}"`)
    .join(', ');
  if (!name) throw new AdapterChoiceError(`${file} names no adapter: a ${kind} provider's file must say which adapter speaks its contract ("adapter": ${known})`);
  const make = Object.hasOwn(adapters, name) ? adapters[name] : undefined;
  if (!make) throw new AdapterChoiceError(`${file} names adapter "${name}", which is not a ${kind} adapter: provider ${provider.definition.code} serves as a ${kind} provider, which needs one of ${known}`);
  return make(provider.definition.code, connector);
}

/** The payment adapter a provider's file names; AdapterChoiceError when it names none or a postal one. */
export function paymentAdapterFor(provider: ProviderFile, connector: Connector): PaymentAdapter {
  return choose('payment', PAYMENT_ADAPTERS, provider, connector);
}

/** The postal adapter a provider's file names; AdapterChoiceError when it names none or a payment one. */
export function postalAdapterFor(provider: ProviderFile, connector: Connector): PostalAdapter {
  return choose('postal', POSTAL_ADAPTERS, provider, connector);
}
