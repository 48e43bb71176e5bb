/** `wasl replay`: list dead-lettered events, re-publish or discard chosen ones. */
import { Command, InvalidArgumentError } from 'commander';
import type { DeadLetter } from '../bus/bus';
import { cliUser, limitArg } from './args';
import { discardDeadLetters, replayDeadLetters } from '../bus/replay';
import type { Hub } from '../hub';

function duration(value: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(value);
  if (!m) throw new InvalidArgumentError('a duration like 30s, 10m, 2h or 7d');
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

interface ReplayOptions {
  service?: string;
  reason?: string;
  olderThan?: number;
  limit: number;
  id?: string[];
  all?: boolean;
  discard?: boolean;
  json?: boolean;
  operator: string;
}

export function formatDeadLetters(list: DeadLetter[]): string {
  if (!list.length) return 'no dead letters\n';
  const rows = list.map((d) => [d.id, d.deadAt.slice(0, 19).replace('T', ' '), d.message.service, d.message.type, d.message.orderId, d.reason, String(d.history.length)]);
  const head = ['id', 'dead at', 'service', 'event', 'order', 'reason', 'attempts'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

export function replayCommand(open: () => Promise<Hub>): Command {
  return new Command('replay')
    .description('List dead-lettered events (filters below); with --id or --all, re-publish them (or --discard them). Every replay or discard is recorded in the order\'s timeline.')
    .option('--service <code>', 'only this service')
    .option('--reason <reason>', 'only this reason, e.g. attempts-exhausted, delivery-limit')
    .option('--older-than <duration>', 'dead-lettered longer ago than this (30s, 10m, 2h, 7d)', duration)
    .option('--limit <n>', 'at most this many', limitArg(10_000), 100)
    .option('--id <id...>', 'the dead letters to act on')
    .option('--all', 'act on every dead letter the filters select')
    .option('--discard', 'drop them instead of re-publishing')
    .option('--operator <name>', 'who is acting, for the timeline', cliUser())
    .option('--json', 'print JSON')
    .action(async (opts: ReplayOptions) => {
      const hub = await open();
      try {
        const selected = await hub.store.listDeadLetters({
          service: opts.service,
          reason: opts.reason,
          before: opts.olderThan ? new Date(Date.now() - opts.olderThan) : undefined,
          ids: opts.id,
          limit: opts.limit,
        });
        if (!opts.id && !opts.all) {
          process.stdout.write(opts.json ? `${JSON.stringify(selected, null, 2)}\n` : formatDeadLetters(selected));
          return;
        }
        const ids = selected.map((d) => d.id);
        const actor = { kind: 'operator' as const, id: opts.operator.slice(0, 64) };
        const outcome = opts.discard ? await discardDeadLetters(hub.store, ids, actor) : await replayDeadLetters(hub.store, hub.bus, ids, actor);
        const missing = (opts.id ?? []).filter((id) => !ids.includes(id));
        const verb = opts.discard ? 'discarded' : 'replayed';
        if (opts.json) process.stdout.write(`${JSON.stringify({ [verb]: outcome.replayed.map((d) => d.id), missing }, null, 2)}\n`);
        else process.stdout.write(`${verb} ${outcome.replayed.length}${missing.length ? `; not found: ${missing.join(', ')}` : ''}\n`);
        if (missing.length) process.exitCode = 1;
      } finally {
        await hub.close();
      }
    });
}
