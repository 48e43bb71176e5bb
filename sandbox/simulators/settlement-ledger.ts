/**
 * What a payment simulator settled, kept beyond its process: a JSON line per payment it took, in a
 * file of the sandbox hub's data dir (<data dir>/simulators/<provider>-settlements.jsonl, 0600), so
 * that its settlement listing (ListSettlements, ListPayouts) still holds the payments a hub
 * recorded before it restarted — as a real provider's does — and `wasl payments reconcile` finds
 * them settled. Without a file (tests, the scenario runner) it lives and dies with the simulator.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface SettlementLedger<T> {
  /** Every item the file holds (written by earlier runs and this one), in the order written. */
  readonly earlier: readonly T[];
  /** Keeps one item, written through to the file when there is one. */
  add(item: T): void;
}

export function settlementLedger<T extends object>(file: string | undefined, isItem: (v: unknown) => v is T): SettlementLedger<T> {
  const earlier: T[] = [];
  if (file && existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const v: unknown = JSON.parse(line);
        if (isItem(v)) earlier.push(v);
      } catch {
        // A line cut short by a crash: the others still count.
      }
    }
  }
  return {
    earlier,
    add: (item) => {
      if (!file) return;
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      appendFileSync(file, `${JSON.stringify(item)}\n`, { mode: 0o600 });
    },
  };
}

/** Where `provider`'s simulator keeps its settlements under a sandbox hub's data dir. */
export function settlementsFile(dataDir: string, provider: string): string {
  return join(dataDir, 'simulators', `${provider}-settlements.jsonl`);
}
