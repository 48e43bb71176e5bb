/**
 * The hub's payment and postal desks get the adapter each provider's file names
 * (connectors/adapters.ts): a payment or postal provider whose file names none, or one of the
 * other kind, stops the hub at start with a configuration error naming the file.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Connector } from '../../connectors/connector';
import { DEFAULT_PROVIDERS_ROOT } from '../../connectors/provider-files';
import type { Catalogue } from '../../hub/catalogue';
import { ConfigError } from '../../hub/config';
import { Fulfilment } from '../../hub/fulfilment';
import { createLogger } from '../../hub/log';
import { openFulfilments } from '../../hub/payments';
import type { Store } from '../../hub/store';

describe('payments and post: the adapter a provider file names', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'wasl-adapters-'));
    for (const code of ['sy-epay', 'intl-pay', 'sy-post']) cpSync(path.join(DEFAULT_PROVIDERS_ROOT, code), path.join(root, code), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const connectorFor = (code: string) => ({ provider: code }) as Connector;
  const open = () =>
    openFulfilments({ store: {} as Store, catalogue: {} as Catalogue, fulfilment: Fulfilment.load(), env: 'sandbox', providersRoot: root, publicUrl: () => 'http://127.0.0.1', logger: createLogger('silent'), connectorFor });
  const edit = (code: string, change: (def: Record<string, unknown>) => void) => {
    const file = path.join(root, code, 'provider.json');
    const def = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    change(def);
    writeFileSync(file, JSON.stringify(def));
    return file;
  };

  it('opens with the repository\'s providers, each desk on its adapter', () => {
    const f = open();
    assert.equal(f.payments.adapter('sy-epay').constructor.name, 'SyEpayInvoiceAdapter');
    assert.equal(f.payments.adapter('intl-pay').constructor.name, 'IntlPayIntentAdapter');
    assert.equal(f.post.provider, 'sy-post');
  });

  it('a payment provider whose file names no adapter: a configuration error naming the file', () => {
    const file = edit('sy-epay', (d) => delete d.adapter);
    assert.throws(open, (err: Error) => err instanceof ConfigError && err.message.startsWith(`${file} names no adapter: a payment provider's file must say which adapter speaks its contract`));
  });

  it('a postal provider whose file names a payment adapter: a configuration error naming the file', () => {
    const file = edit('sy-post', (d) => (d.adapter = 'sy-epay-invoices'));
    assert.throws(open, (err: Error) => err instanceof ConfigError && err.message.startsWith(`${file} names adapter "sy-epay-invoices", which is not a postal adapter`));
  });

  it('an adapter wasl does not have: the provider file is refused by its schema, naming the file and the adapters there are', () => {
    const file = edit('intl-pay', (d) => (d.adapter = 'intl-pay-charges'));
    assert.throws(open, (err: Error) => err.message.includes(file) && err.message.includes('/adapter must be one of: sy-epay-invoices, intl-pay-intents, sy-post-shipments'));
  });
});
