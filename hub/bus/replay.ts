/**
 * Dead letters back to work: re-publishes chosen dead letters to the bus and records the replay
 * in each order's timeline; or discards them, also recorded. The store is where dead letters are
 * kept, whichever bus carried them.
 */
import type { Actor } from '../../contracts/types';
import type { DeadLetterStore, OrderStore } from '../store';
import { reasonCode } from '../store/order-records';
import type { Bus, DeadLetter } from './bus';

export interface ReplayOutcome {
  replayed: DeadLetter[];
  /** Ids asked for that are not (or no longer) dead letters. */
  missing: string[];
}

export async function replayDeadLetters(store: DeadLetterStore & OrderStore, bus: Bus, ids: string[], actor: Actor): Promise<ReplayOutcome> {
  const found = await store.listDeadLetters({ ids, limit: ids.length || 1 });
  if (found.length) {
    // Publish first: if it fails, the dead letters stay where they are.
    await bus.publish(found.map((d) => d.message));
    await store.removeDeadLetters(found.map((d) => d.id));
    for (const d of found) await noteIfOrder(store, d, 'bus.replayed', actor);
  }
  const have = new Set(found.map((d) => d.id));
  return { replayed: found, missing: ids.filter((id) => !have.has(id)) };
}

export async function discardDeadLetters(store: DeadLetterStore & OrderStore, ids: string[], actor: Actor): Promise<ReplayOutcome> {
  const found = await store.listDeadLetters({ ids, limit: ids.length || 1 });
  await store.removeDeadLetters(found.map((d) => d.id));
  for (const d of found) await noteIfOrder(store, d, 'bus.discarded', actor);
  const have = new Set(found.map((d) => d.id));
  return { replayed: found, missing: ids.filter((id) => !have.has(id)) };
}

async function noteIfOrder(store: OrderStore, d: DeadLetter, event: string, actor: Actor): Promise<void> {
  if (!(await store.getOrder(d.message.orderId))) return;
  await store.note(d.message.orderId, { event, actor, reason: { code: reasonCode(d.reason) } });
}
