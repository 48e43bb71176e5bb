/** `wasl audit verify [--from --to]` and `wasl audit seal`: the audit trail's integrity. */
import { Command } from 'commander';
import { cliUser, dateArg } from './args';
import { BodyKey, isSealedBodies } from '../audit/bodies';
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
    .command('bodies')
    .argument('<orderId>', 'the order whose provider exchanges to show')
    .description('Decrypt and print the bodies of an order\'s provider exchanges (kept for the providers in WASL_AUDIT_BODIES; needs the WASL_SECRET they were sealed with). The reading is itself audited.')
    .action(async (orderId: string) => {
      const hub = await open();
      try {
        if (!hub.config.secret) throw new Error('WASL_SECRET is needed to read the bodies: they are encrypted with it');
        const key = new BodyKey(hub.config.secret);
        const records = (await hub.store.readAudit({ subject: orderId, limit: 10_000 })).filter((r) => r.kind === 'provider.call');
        let shown = 0;
        for (const r of records) {
          const sealed = r.data.bodies;
          process.stdout.write(`# record ${r.seq} ${r.at} ${String(r.data.provider)}.${String(r.data.operation)} ${String(r.data.outcome)}\n`);
          if (!isSealedBodies(sealed)) {
            process.stdout.write('(no bodies kept for this exchange)\n');
            continue;
          }
          try {
            const b = key.open(sealed, r.subject);
            process.stdout.write(`--- request\n${b.request ?? '(empty)'}\n--- response\n${b.response ?? '(empty)'}\n`);
            shown++;
          } catch {
            process.stdout.write('(the bodies do not decrypt: another WASL_SECRET, or they were altered)\n');
            process.exitCode = 1;
          }
        }
        if (records.length === 0) process.stdout.write(`no provider exchange is recorded for ${orderId}\n`);
        if (shown > 0) await hub.store.appendAudit([{ at: new Date().toISOString(), kind: 'operator.action', actor: `cli:${cliUser()}`, subject: orderId, data: { action: 'read-bodies', exchanges: shown } }]);
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
