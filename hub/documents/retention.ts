/**
 * How long a service's documents are kept: its definition's `documents.retentionDays`
 * (contracts/service.schema.json), else the hub's default, WASL_DOCUMENT_RETENTION_DAYS (90 days).
 * After it, purgeExpired deletes the content and keeps the metadata and the SHA-256.
 *
 * Why a default at all, rather than "kept until a service says": a citizen's extract held forever
 * is a liability nobody chose; a service that must keep documents longer says so in its
 * definition, where the reviewers of the service see it.
 *
 * The nodes (wasl-call) hand the connectors `documents.withRetention(retentionFor(definition))`.
 * The hub also opens its store with the configured default, so a put that names no retention at
 * all still expires; `retentionFor` without `fallbackDays` therefore returns only what the
 * service sets, leaving the rest to the store's default (which WASL_DOCUMENT_RETENTION_DAYS sets).
 */
import type { ServiceDefinition } from '../../contracts/types';
import type { Retention } from './store';

export const DEFAULT_DOCUMENT_RETENTION_DAYS = 90;
/** A hundred years: the schema's limit too; beyond it a typo, not a policy. */
export const MAX_DOCUMENT_RETENTION_DAYS = 36_500;

/**
 * The retention of `definition`'s documents: its `documents.retentionDays` when set, else
 * `fallbackDays` when given, else nothing (the store's default applies: the hub's is
 * WASL_DOCUMENT_RETENTION_DAYS).
 */
export function retentionFor(definition: Pick<ServiceDefinition, 'documents'> | undefined, fallbackDays?: number): Retention {
  const days = definition?.documents?.retentionDays ?? fallbackDays;
  // The definition passed its schema at load; this guards a definition built by hand (tests, tools).
  if (days === undefined) return {};
  if (!Number.isInteger(days) || days < 1 || days > MAX_DOCUMENT_RETENTION_DAYS) throw new RangeError(`a document retention is 1 to ${MAX_DOCUMENT_RETENTION_DAYS} whole days, not ${days}`);
  return { retentionDays: days };
}
