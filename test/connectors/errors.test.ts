import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BulkheadRejectedError,
  BusinessRefusal,
  CONNECTOR_ERROR_CODES,
  CircuitOpenError,
  type ConnectorError,
  ContractViolation,
  ProviderFault,
  RateLimitedError,
  TimeoutError,
  TransportError,
  UnsafeResponse,
  isConnectorError,
} from '../../connectors/errors';
import { transportError } from '../../connectors/http/client';
import { mapRefusal } from '../../connectors/error-mapping';

/** What must never appear in a message: a citizen's data and a credential. */
const SENSITIVE = {
  nationalNumber: '03110987654',
  name: 'هبة نزار القاسم',
  latinName: 'Hiba Nizar Al-Qasem',
  phone: '+963933765432',
  password: 'S3cr3t-P4ssw0rd!',
};
const leak = `${SENSITIVE.name} (${SENSITIVE.latinName}) ${SENSITIVE.nationalNumber} ${SENSITIVE.phone} password=${SENSITIVE.password}`;
const cause = Object.assign(new Error(`connect ECONNREFUSED https://moi:${SENSITIVE.password}@host for ${leak}`), { code: 'ECONNREFUSED' });
const opts = { cause, provider: 'moi-civil-registry', operation: 'getExtract', attempt: 2, durationMs: 30 };

/** One instance of every class, fed the sensitive values wherever a constructor takes text. */
const samples: ConnectorError[] = [
  new TransportError('ECONNRESET', opts),
  transportError(cause).at(opts),
  transportError(Object.assign(new Error(leak), { code: leak })).at(opts),
  new TimeoutError('total', 15000, opts),
  new CircuitOpenError('https://civil-registry.moi.gov.sy/ws', opts),
  new BulkheadRejectedError(opts),
  new RateLimitedError(250, opts),
  new ProviderFault({ status: 500, faultCode: 'soap:Server', providerMessage: leak, transient: true }, opts),
  new BusinessRefusal('person-not-found', 'E-404', leak, opts),
  mapRefusal({ rules: [{ faultCode: 'E-404', reason: 'person-not-found' }] }, { faultCode: 'E-404' }, { ...opts, providerMessage: leak })!,
  new ContractViolation('response', [{ pointer: '/person/nationalNumber', message: 'must match pattern' }], opts),
  new UnsafeResponse('malformed', 'mismatched end tag at offset 12', opts),
];

describe('connector errors', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'connector-errors.md'), 'utf8');
  const rows = new Map(
    doc
      .split('\n')
      .filter((l) => /^\| `[a-z-]+` \|/.test(l))
      .map((l) => [/^\| `([a-z-]+)` /.exec(l)![1]!, l.split('|').map((c) => c.trim())]),
  );

  it('documents every code in docs/connector-errors.md, with its class and whether it is transient', () => {
    for (const code of CONNECTOR_ERROR_CODES) {
      const row = rows.get(code);
      assert.ok(row, `docs/connector-errors.md has no row for ${code}`);
      const instances = samples.filter((e) => e.code === code);
      assert.ok(instances.length, `no sample error for ${code}`);
      assert.equal(row[2], `\`${instances[0]!.constructor.name}\``, `class of ${code}`);
      const transient = new Set(instances.map((e) => e.transient));
      const expected = code === 'provider-fault' ? 'depends' : transient.has(true) ? 'yes' : 'no';
      assert.equal(row[3], expected, `transient column of ${code}`);
      assert.ok(row[4]!.length > 20 && row[5]!.length > 20, `${code} says when and what to do`);
    }
  });

  it('documents no code that does not exist', () => {
    assert.deepEqual([...rows.keys()].sort(), [...CONNECTOR_ERROR_CODES].sort());
  });

  it('gives every error its code, class name, provider, operation, attempt and duration', () => {
    for (const e of samples) {
      assert.ok(isConnectorError(e));
      assert.ok(CONNECTOR_ERROR_CODES.includes(e.code));
      assert.equal(e.name, e.constructor.name);
      assert.deepEqual([e.provider, e.operation, e.attempt, e.durationMs], ['moi-civil-registry', 'getExtract', 2, 30]);
    }
  });

  it("never puts a citizen's data or a credential in a message or in toJSON, whatever the cause or provider text", () => {
    for (const e of samples) {
      const shown = `${e.message}\n${JSON.stringify(e)}\n${String(e)}`;
      for (const [what, value] of Object.entries(SENSITIVE)) assert.ok(!shown.includes(value), `${e.name} shows the ${what}: ${shown}`);
    }
  });

  it('keeps the provider text apart, in providerMessage only', () => {
    const fault = samples.find((e) => e instanceof ProviderFault) as ProviderFault;
    assert.equal(fault.providerMessage, leak);
    assert.equal('providerMessage' in fault.toJSON(), false);
  });
});
