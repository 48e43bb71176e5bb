/** `wasl payments reconcile --date YYYY-MM-DD`: the providers' settlements against the hub's records. */
import { Command, InvalidArgumentError } from 'commander';
import type { Hub } from '../hub';
import { formatReconciliation, SettlementsUnavailable } from '../payments/reconcile';
import { recordedSimulators } from '../simulator-addresses';

function day(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw new InvalidArgumentError('a date as YYYY-MM-DD');
  return value;
}

export function paymentsCommand(open: () => Promise<Hub>): Command {
  const cmd = new Command('payments').description('Payments: reconciliation with the payment providers');
  cmd
    .command('reconcile')
    .description('Match what each payment provider settled on a day against the orders and the payments the hub recorded, and list every mismatch (payment without order, order paid twice, payment not recorded, amount mismatch, not settled) and every payment not applied because it was not the order\'s invoice, amount or currency (amount, currency or invoice mismatch). Exit 2 when there is any.')
    .requiredOption('--date <YYYY-MM-DD>', 'the settlement day (UTC)', day)
    .option('--json', 'print JSON')
    .action(async (opts: { date: string; json?: boolean }) => {
      const hub = await open();
      try {
        const r = await hub.fulfilments.reconcile(opts.date).catch((err: unknown) => {
          // In the sandbox the providers are the simulators a running sandbox hub serves: none, nothing to ask.
          if (err instanceof SettlementsUnavailable && hub.config.env === 'sandbox' && !recordedSimulators(hub.config.dataDir)) {
            throw new Error(`${err.message}. In the sandbox the payment providers are simulators that run inside the sandbox hub, and no sandbox hub is running on ${hub.config.dataDir}: start it (npm start, same WASL_DATA_DIR) and run this again; they list as settled every payment they took on that data dir`);
          }
          throw err;
        });
        process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : formatReconciliation(r));
        if (r.mismatches.length) process.exitCode = 2;
      } finally {
        await hub.close();
      }
    });
  return cmd;
}
