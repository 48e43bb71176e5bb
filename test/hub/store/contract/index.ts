/**
 * The store's contract, one suite per role, each run against every back end (sqlite.test.ts,
 * postgres.test.ts): what the rest of wasl may rely on of each role, whichever database is under it.
 */
import type { Store } from '../../../../hub/store';
import { auditStoreContract } from './audit';
import { callbackStoreContract } from './callbacks';
import { storeConnectionContract } from './connection';
import { metricCountsContract } from './counts';
import { deadLetterStoreContract } from './dead-letters';
import type { BackEnd } from './fixtures';
import { stepJournalContract } from './journal';
import { leaseStoreContract } from './leases';
import { orderStoreContract } from './orders';
import { outboxStoreContract } from './outbox';
import { processedLogContract } from './processed';
import { providerCallRecordsContract } from './provider-calls';

export { newOrder } from './fixtures';

export function storeContract(open: () => Promise<Store>, close: (s: Store) => Promise<void>): void {
  const backEnd: BackEnd<Store> = { open, close };
  describe('OrderStore', () => orderStoreContract(backEnd));
  describe('OutboxStore', () => outboxStoreContract(backEnd));
  describe('StepJournal', () => stepJournalContract(backEnd));
  describe('CallbackStore', () => callbackStoreContract(backEnd));
  describe('DeadLetterStore', () => deadLetterStoreContract(backEnd));
  describe('ProcessedLog', () => processedLogContract(backEnd));
  describe('AuditStore', () => auditStoreContract(backEnd));
  describe('ProviderCallRecords', () => providerCallRecordsContract(backEnd));
  describe('LeaseStore', () => leaseStoreContract(backEnd));
  describe('MetricCounts', () => metricCountsContract(backEnd));
  describe('StoreConnection', () => storeConnectionContract(backEnd));
}
