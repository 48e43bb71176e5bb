/** The line every benchmark ends with, and the run that guarantees it (exit 0 whatever the figures). */
import { cleanupSync } from './procs';

export function ratioLine(name: string, ratio: number, target: number): string {
  return `${name}: ratio ${Number.isFinite(ratio) ? ratio.toFixed(2) : 'n/a'} (target >= ${target.toFixed(2)})`;
}

/** Runs a benchmark's main (which returns its ratio), prints the last line, cleans up and exits 0. */
export function runBench(name: string, target: number, main: () => Promise<number>): void {
  main()
    .then((ratio) => console.log(ratioLine(name, ratio, target)))
    .catch((err: unknown) => {
      console.log(`bench:${name} failed: ${err instanceof Error ? err.message : String(err)}`);
      console.log(ratioLine(name, NaN, target));
    })
    .finally(() => {
      cleanupSync();
      process.exit(0);
    });
}
