/** `wasl provider calls [code] [--from --to --limit --json]`: the operational records of provider calls. */
import { Command } from 'commander';
import { dateArg, limitArg } from './args';
import type { Hub } from '../hub';
import type { ProviderCallRecord } from '../store';


export function formatCalls(list: ProviderCallRecord[]): string {
  if (!list.length) return 'no calls recorded\n';
  const head = ['started', 'provider', 'operation', 'outcome', 'status', 'fault', 'ms', 'tries', 'sent', 'received', 'order'];
  const rows = list.map((c) => [c.startedAt.slice(0, 23).replace('T', ' '), c.provider, c.operation, c.outcome, String(c.status ?? ''), c.faultCode ?? '', String(c.durationMs), String(c.attempts), String(c.requestBytes), String(c.responseBytes), c.orderId ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

export function providerCallsCommand(open: () => Promise<Hub>): Command {
  return new Command('calls')
    .description('The operational record of provider calls (start, end, outcome, HTTP status, fault code, attempts, sizes, order), oldest first; kept for WASL_CALL_RECORDS_DAYS days')
    .argument('[code]', 'only this provider')
    .option('--from <date>', 'calls started at or after this time', dateArg)
    .option('--to <date>', 'calls started before this time', dateArg)
    .option('--limit <n>', 'at most this many', limitArg(100_000), 1000)
    .option('--json', 'print JSON')
    .action(async (code: string | undefined, o: { from?: Date; to?: Date; limit: number; json?: boolean }) => {
      const hub = await open();
      try {
        const list = await hub.store.listProviderCalls({ ...(code ? { provider: code } : {}), ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}), limit: o.limit });
        process.stdout.write(o.json ? `${JSON.stringify(list, null, 2)}\n` : formatCalls(list));
      } finally {
        await hub.close();
      }
    });
}
