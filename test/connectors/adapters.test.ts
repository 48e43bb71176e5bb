/**
 * The payment and postal adapters (connectors/payment/, connectors/postal/), chosen by the
 * `adapter` a provider file names (connectors/adapters.ts), and the policy on generated provider
 * types: a provider gets types.ts when, and only when, its file names the adapter that reads them.
 * Their behaviour end to end, against the simulators, is in test/sandbox/payment-post-simulators.test.ts
 * and test/hub/payments.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AdapterChoiceError, PAYMENT_ADAPTERS, paymentAdapterFor, POSTAL_ADAPTERS, postalAdapterFor } from '../../connectors/adapters';
import { MalformedCallbackError } from '../../connectors/callback-body';
import type { CallResult, Connector } from '../../connectors/connector';
import { generateTypes } from '../../connectors/import/typescript';
import { listProviders } from '../../connectors/import/write';
import { IntlPayIntentAdapter } from '../../connectors/payment/intl-pay-intents';
import { SyEpayInvoiceAdapter } from '../../connectors/payment/sy-epay-invoices';
import { SyPostShipmentAdapter } from '../../connectors/postal/sy-post-shipments';
import { DEFAULT_PROVIDERS_ROOT, loadProvider } from '../../connectors/provider-files';
import providerSchema from '../../contracts/provider.schema.json';
import type { Order } from '../../contracts/types';

/** A connector double that records each call and answers what the test gives. */
function fakeConnector(answers: Record<string, unknown>) {
  const calls: Array<{ operation: string; input: unknown; ctx: unknown }> = [];
  const connector: Connector = {
    provider: 'fake',
    environment: 'sandbox',
    operations: () => [],
    close: async () => undefined,
    call: async <O>(operation: string, input: unknown, ctx?: unknown) => {
      calls.push({ operation, input, ctx });
      if (!(operation in answers)) throw new Error(`${operation} is not expected`);
      return { output: answers[operation], status: 200, attempts: 1, durationMs: 1 } as CallResult<O>;
    },
  };
  return { connector, calls };
}

const ORDER = {
  id: 'ord_01TEST',
  service: { code: 'birth-certificate-extract' },
  applicant: { phone: '+963944000000' },
  delivery: { method: 'domestic-post', governorate: 'damascus', city: 'Damascus', address: 'شارع بغداد' },
} as unknown as Order;

describe('payment and postal adapters', () => {
  it('the adapters wasl has are the names the provider schema allows, and no other', () => {
    const allowed = (providerSchema.properties.adapter as { enum: string[] }).enum;
    assert.deepEqual([...Object.keys(PAYMENT_ADAPTERS), ...Object.keys(POSTAL_ADAPTERS)].sort(), [...allowed].sort());
  });

  it('each payment and postal provider of the repository names its adapter; each adapter is the one its file names', () => {
    const { connector } = fakeConnector({});
    assert.ok(paymentAdapterFor(loadProvider('sy-epay'), connector) instanceof SyEpayInvoiceAdapter);
    assert.ok(paymentAdapterFor(loadProvider('intl-pay'), connector) instanceof IntlPayIntentAdapter);
    assert.ok(postalAdapterFor(loadProvider('sy-post'), connector) instanceof SyPostShipmentAdapter);
    assert.equal(paymentAdapterFor(loadProvider('sy-epay'), connector).provider, 'sy-epay');
  });

  it('a provider file that names no adapter, or one of the other kind, is refused naming the file', () => {
    const { connector } = fakeConnector({});
    const epay = loadProvider('sy-epay');
    const file = path.join(epay.dir, 'provider.json');
    const { adapter: _a, ...none } = epay.definition;
    assert.throws(
      () => paymentAdapterFor({ ...epay, definition: none }, connector),
      (err: Error) => err instanceof AdapterChoiceError && err.message === `${file} names no adapter: a payment provider's file must say which adapter speaks its contract ("adapter": "sy-epay-invoices", "intl-pay-intents")`,
    );
    assert.throws(
      () => paymentAdapterFor({ ...epay, definition: { ...epay.definition, adapter: 'sy-post-shipments' } }, connector),
      (err: Error) => err instanceof AdapterChoiceError && err.message.startsWith(`${file} names adapter "sy-post-shipments", which is not a payment adapter`),
    );
    const post = loadProvider('sy-post');
    assert.throws(() => postalAdapterFor({ ...post, definition: { ...post.definition, adapter: 'sy-epay-invoices' } }, connector), /sy-post[/\\]provider\.json names adapter "sy-epay-invoices", which is not a postal adapter/);
    // Nothing is taken from the object's prototype.
    assert.throws(() => postalAdapterFor({ ...post, definition: { ...post.definition, adapter: 'constructor' as never } }, connector), AdapterChoiceError);
  });

  it('types.ts: generated for a provider whose file names an adapter, and as the import generates it now; no other provider has one', async () => {
    const providers = listProviders(DEFAULT_PROVIDERS_ROOT);
    assert.ok(providers.length >= 10, providers.join(', '));
    const typed: string[] = [];
    for (const code of providers) {
      const p = loadProvider(code);
      const file = path.join(p.dir, 'types.ts');
      if (!p.definition.adapter) {
        assert.ok(!existsSync(file), `${code} names no adapter: nothing reads ${file}`);
        continue;
      }
      typed.push(code);
      const operations = Object.entries(p.operations).map(([name, o]) => ({ name, inputSchema: o.inputSchema, outputSchema: o.outputSchema, binding: o.binding, idempotent: o.idempotent }));
      assert.equal(readFileSync(file, 'utf8'), await generateTypes(code, operations), `${file} is stale: import the provider again`);
    }
    assert.deepEqual(typed.sort(), ['intl-pay', 'sy-epay', 'sy-post']);
  });

  describe('sy-epay-invoices', () => {
    it('creates the invoice with the order as merchant reference and the idempotency key, and returns what the provider stated', async () => {
      const { connector, calls } = fakeConnector({ CreateInvoice: { invoiceId: 'INV-1', merchantReference: ORDER.id, amount: 2500, currency: 'SYP', status: 'pending', paymentUrl: 'https://pay.example/INV-1', expiresAt: '2030-01-01T00:00:00Z' } });
      const a = new SyEpayInvoiceAdapter('sy-epay', connector);
      const invoice = await a.createInvoice(ORDER, 2500, 'SYP', 'https://hub.example/v1/callbacks/sy-epay', '2030-01-01T00:00:00Z', { orderId: ORDER.id, idempotencyKey: 'k-1' });
      assert.deepEqual(invoice, { invoiceId: 'INV-1', paymentUrl: 'https://pay.example/INV-1', amount: 2500, currency: 'SYP' });
      assert.deepEqual(calls, [
        {
          operation: 'CreateInvoice',
          input: { body: { merchantReference: ORDER.id, amount: 2500, currency: 'SYP', description: `birth-certificate-extract ${ORDER.id}`, callbackUrl: 'https://hub.example/v1/callbacks/sy-epay', expiresAt: '2030-01-01T00:00:00Z' } },
          ctx: { orderId: ORDER.id, idempotencyKey: 'k-1' },
        },
      ]);
    });

    it('a status leaves out what the answer leaves out; settlements and refunds read the contract\'s fields', async () => {
      const { connector } = fakeConnector({
        GetInvoice: { invoiceId: 'INV-1', status: 'declined' },
        RefundInvoice: { refundId: 'RF-1', invoiceId: 'INV-1', amount: 2000, status: 'completed', refundedAt: '2030-01-01T00:00:00Z' },
        ListSettlements: { date: '2030-01-01', items: [{ transactionId: 'TX-1', invoiceId: 'INV-1', merchantReference: ORDER.id, amount: 2500, currency: 'SYP', settledAt: '2030-01-01T10:00:00Z' }] },
      });
      const a = new SyEpayInvoiceAdapter('sy-epay', connector);
      assert.deepEqual(await a.status('INV-1', ORDER.id), { state: 'failed' });
      assert.deepEqual(await a.refund('INV-1', 2000, 'late', { orderId: ORDER.id, idempotencyKey: 'k-2' }), { reference: 'RF-1', amount: 2000 });
      assert.deepEqual(await a.settlements('2030-01-01'), [{ transactionId: 'TX-1', invoiceId: 'INV-1', orderId: ORDER.id, amount: 2500, currency: 'SYP', settledAt: '2030-01-01T10:00:00Z' }]);
    });

    it('parses a callback as it comes: absent stays absent, an unknown type is `other`, no event id is malformed', () => {
      const a = new SyEpayInvoiceAdapter('sy-epay', fakeConnector({}).connector);
      assert.deepEqual(a.parseCallback({ eventId: 'EV-1', type: 'invoice.paid', invoiceId: 'INV-1', merchantReference: ORDER.id, transactionId: 'TX-1' }), { eventId: 'EV-1', type: 'invoice.paid', kind: 'paid', orderId: ORDER.id, invoiceId: 'INV-1', transactionId: 'TX-1' });
      assert.equal(a.parseCallback({ eventId: 'EV-2', type: 'constructor' }).kind, 'other');
      assert.throws(() => a.parseCallback({ type: 'invoice.paid' }), MalformedCallbackError);
      assert.throws(() => a.parseCallback([]), /malformed callback: eventId and type are required/);
    });
  });

  describe('intl-pay-intents', () => {
    it('creates a payment intent in minor units with the payer\'s country when posted abroad', async () => {
      const { connector, calls } = fakeConnector({ CreatePaymentIntent: { id: 'pi_1', status: 'requires_payment', amount_minor: 1250, currency: 'USD', order_ref: ORDER.id, checkout_url: 'https://intl.example/pi_1', created_at: '2030-01-01T00:00:00Z' } });
      const abroad = { ...ORDER, delivery: { method: 'international-post', country: 'SE', city: 'Göteborg', address: 'Storgatan 1' } } as Order;
      const a = new IntlPayIntentAdapter('intl-pay', connector);
      assert.deepEqual(await a.createInvoice(abroad, 1250, 'USD', 'https://hub.example/v1/callbacks/intl-pay', '2030-01-01T00:00:00Z', { orderId: ORDER.id, idempotencyKey: 'k-1' }), {
        invoiceId: 'pi_1',
        paymentUrl: 'https://intl.example/pi_1',
        amount: 1250,
        currency: 'USD',
      });
      assert.deepEqual((calls[0]!.input as { body: unknown }).body, { amount_minor: 1250, currency: 'USD', order_ref: ORDER.id, description: `birth-certificate-extract ${ORDER.id}`, notify_url: 'https://hub.example/v1/callbacks/intl-pay', customer_country: 'SE' });
    });

    it('a succeeded intent is paid, with the intent as transaction; a webhook\'s time is its `created`', async () => {
      const { connector } = fakeConnector({ GetPaymentIntent: { id: 'pi_1', status: 'succeeded', amount_minor: 1250, currency: 'USD', order_ref: ORDER.id, captured_at: '2030-01-01T00:01:00Z' } });
      const a = new IntlPayIntentAdapter('intl-pay', connector);
      assert.deepEqual(await a.status('pi_1', ORDER.id), { state: 'paid', amount: 1250, currency: 'USD', transactionId: 'pi_1', paidAt: '2030-01-01T00:01:00Z' });
      assert.deepEqual(a.parseCallback({ id: 'evt_1', type: 'payment_intent.succeeded', created: 1893456000, data: { object: { id: 'pi_1', order_ref: ORDER.id, amount_minor: 1250, currency: 'USD' } } }), {
        eventId: 'evt_1',
        type: 'payment_intent.succeeded',
        kind: 'paid',
        invoiceId: 'pi_1',
        orderId: ORDER.id,
        transactionId: 'pi_1',
        amount: 1250,
        currency: 'USD',
        occurredAt: '2030-01-01T00:00:00.000Z',
      });
      assert.equal(a.parseCallback({ id: 'evt_2', type: 'toString', created: 1e308 }).occurredAt, undefined);
    });
  });

  describe('sy-post-shipments', () => {
    it('registers a domestic shipment with the address and phone, and reads the tracking status', async () => {
      const { connector, calls } = fakeConnector({ CreateShipment: { trackingNumber: 'RR123456785SY', status: 'created', fee: 0, currency: 'SYP' }, GetShipment: { trackingNumber: 'RR123456785SY', reference: ORDER.id, status: 'delivered', events: [] } });
      const a = new SyPostShipmentAdapter('sy-post', connector);
      assert.deepEqual(await a.createShipment(ORDER, 'ريم', 'https://hub.example/v1/callbacks/sy-post', { orderId: ORDER.id, idempotencyKey: 'k-1' }), { trackingNumber: 'RR123456785SY', fee: 0 });
      assert.deepEqual((calls[0]!.input as { body: unknown }).body, {
        reference: ORDER.id,
        service: 'domestic',
        recipient: { name: 'ريم', phone: '+963944000000' },
        address: { governorate: 'damascus', city: 'Damascus', line: 'شارع بغداد' },
        contents: 'birth-certificate-extract',
        weightGrams: 50,
        callbackUrl: 'https://hub.example/v1/callbacks/sy-post',
      });
      assert.equal(await a.status('RR123456785SY', ORDER.id), 'delivered');
      await assert.rejects(a.createShipment({ ...ORDER, delivery: { method: 'counter' } } as unknown as Order, 'x', 'u', { orderId: ORDER.id, idempotencyKey: 'k' }), /is not delivered by post/);
    });

    it('parses a tracking callback; an unknown status is malformed', () => {
      const a = new SyPostShipmentAdapter('sy-post', fakeConnector({}).connector);
      assert.deepEqual(a.parseCallback({ eventId: 'EV-1', trackingNumber: 'RR1', reference: ORDER.id, status: 'returned', at: '2030-01-01T00:00:00Z', location: 'دمشق' }), { eventId: 'EV-1', status: 'returned', trackingNumber: 'RR1', orderId: ORDER.id, at: '2030-01-01T00:00:00Z' });
      assert.throws(() => a.parseCallback({ eventId: 'EV-2', trackingNumber: 'RR1', status: 'lost' }), MalformedCallbackError);
    });
  });
});
