/** `wasl audit verify [--from --to]` and `wasl audit seal`: the audit trail's integrity. */
import { Command } from 'commander';
import { dateArg } from './args';
import { sealDays, verifyTrail } from '../audit/trail';
import type { Hub } from '../hub';


export function auditCommand(open: () => Promise<Hub>): Command {
  const cmd = new Command('audit').description('The audit trail: order steps, provider exchanges and operator actions, chained by hashes and sealed per day');
  cmd
    .command('verify')
    .description('Recompute the chain (from its first record) and the day seals; name the first record altered, removed or inserted. Exit 1 when the trail does not hold.')
    .option('--from <date>', 'count records from this time', dateArg)
    .option('--to <date>', 'stop at this time (exclusive)', dateArg)
    .action(async (o: { from?: Date; to?: Date }) => {
      const hub = await open();
      try {
        const v = await verifyTrail(hub.store, { ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}) });
        if (v.finding) {
          process.stdout.write(`the audit trail does not hold: ${v.finding.kind} at record ${v.finding.seq}: ${v.finding.detail}\n`);
          process.exitCode = 1;
        } else process.stdout.write(`the audit trail holds: ${v.checked} records checked${v.lastSeq ? `, chain up to record ${v.lastSeq}` : ''}\n`);
      } finally {
        await hub.close();
      }
    });
  cmd
    .command('seal')
    .description('Seal every whole day (UTC) that has records and no seal yet with the hash of its last record')
    .action(async () => {
      const hub = await open();
      try {
        const days = await sealDays(hub.store);
        process.stdout.write(days.length ? `sealed ${days.join(', ')}\n` : 'nothing to seal\n');
      } finally {
        await hub.close();
      }
    });
  return cmd;
}
