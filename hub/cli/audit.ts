/** `wasl audit verify|seal|export|public-key|bodies`: the audit trail's integrity (docs/audit.md). */
import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { cliUser, dateArg } from './args';
import { BodyKey, isSealedBodies } from '../audit/bodies';
import { recordName } from '../audit/chain';
import { readWitness } from '../audit/seal';
import { exportTrail, verifyExport, verifyTrail, type Verification } from '../audit/trail';
import { keyIdOf, parsePublicKey } from '../certificate-keys';
import type { Hub } from '../hub';

function report(v: Verification, against: string): void {
  if (v.finding) {
    const where = 'shard' in v.finding && v.finding.shard !== undefined && v.finding.shardSeq !== undefined ? ` at ${v.finding.shard}/${v.finding.shardSeq}` : 'n' in v.finding && v.finding.n !== undefined ? ` at seal ${v.finding.n}` : '';
    process.stdout.write(`the audit trail does not hold: ${v.finding.kind}${where}: ${v.finding.detail}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`the audit trail holds: ${v.checked} records checked in ${v.shards} shard${v.shards === 1 ? '' : 's'}, against ${against}\n`);
  process.stdout.write(v.lastSeal ? `sealed up to seal ${v.lastSeal.n} (${v.lastSeal.at}), ${v.seals} seals checked\n` : 'no seal yet\n');
  process.stdout.write(`${v.unsealed} record${v.unsealed === 1 ? '' : 's'} after the last seal, not yet sealed\n`);
  if (v.legacy) {
    process.stdout.write(`${v.legacy.records} records before the keyed chains (unkeyed: they prove a mistake, not a rewrite)${v.legacy.brokenAt !== undefined ? `: broken at record ${v.legacy.brokenAt}` : ', their chain holds'}\n`);
    if (v.legacy.brokenAt !== undefined) process.exitCode = 1;
  }
}

export function auditCommand(open: () => Promise<Hub>): Command {
  const cmd = new Command('audit').description('The audit trail: order steps, provider exchanges and operator actions, in keyed chains sealed to a witness outside the store');
  cmd
    .command('verify')
    .description('Recompute every chain (hashes and MACs) and check it against the witness\'s seals; name the first record altered, removed, inserted or truncated, or the seal forged. With --export, verify an export offline with the seal public key alone. Exit 1 when it does not hold.')
    .option('--from <date>', 'count records from this time', dateArg)
    .option('--to <date>', 'count records up to this time (exclusive)', dateArg)
    .option('--witness <file>', 'the witness file (WASL_AUDIT_WITNESS by default)')
    .option('--export <file>', 'verify an export (wasl audit export) instead of the store: no database, no secret')
    .option('--public-key <key>', "the seal public key (wasl audit public-key) the seals must be signed with; required with --export")
    .action(async (o: { from?: Date; to?: Date; witness?: string; export?: string; publicKey?: string }) => {
      if (o.export) {
        if (!o.publicKey) throw new Error('--export needs --public-key: the seal public key the hub\'s operator gave you');
        const v = await verifyExport(readFileSync(o.export, 'utf8'), parsePublicKey(o.publicKey));
        report(v, `the seals of the export, signed by key ${keyIdOf(parsePublicKey(o.publicKey))}`);
        return;
      }
      const hub = await open();
      try {
        const file = o.witness ?? hub.config.audit.witnessFile;
        const witness = existsSync(file) ? readWitness(file) : undefined;
        if (!witness) process.stdout.write(`no witness at ${file}: checking against the store's own copies of the seals, which prove less (docs/audit.md)\n`);
        const trustedKeys = [o.publicKey ? parsePublicKey(o.publicKey) : hub.auditKeys.publicKey, ...(hub.config.audit.trustedKeys ?? [])];
        const v = await verifyTrail(hub.store, { keys: hub.auditKeys, ...(witness ? { witness } : {}), trustedKeys, ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}) });
        report(v, witness ? `the witness ${file}` : "the store's copies of the seals");
      } finally {
        await hub.close();
      }
    });
  cmd
    .command('seal')
    .description('Seal every chain\'s head now, to the witness file (and WASL_AUDIT_WITNESS_URL); the hub does so every WASL_AUDIT_SEAL_MINUTES and when it stops')
    .action(async () => {
      const hub = await open();
      try {
        const seal = await hub.sealAudit();
        process.stdout.write(seal ? `sealed ${seal.n}: the heads of ${seal.heads.length} shards, to ${hub.config.audit.witnessFile}\n` : 'nothing new to seal\n');
      } finally {
        await hub.close();
      }
    });
  cmd
    .command('public-key')
    .description('Print the seal public key (an auditor verifies seals and exports with it) and its id')
    .action(async () => {
      const hub = await open();
      try {
        process.stdout.write(`${hub.auditKeys.publicKey}\n# key id ${hub.auditKeys.sealKeyId}\n`);
      } finally {
        await hub.close();
      }
    });
  cmd
    .command('export')
    .description('Write the records of a window, and every seal, for an auditor (JSON lines); the export is itself audited')
    .requiredOption('--out <file>', 'the file to write (0600)')
    .option('--from <date>', 'records from this time', dateArg)
    .option('--to <date>', 'records up to this time (exclusive)', dateArg)
    .action(async (o: { out: string; from?: Date; to?: Date }) => {
      const hub = await open();
      try {
        const window = { ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}) };
        const r = await exportTrail(hub.store, hub.auditKeys, o.out, window);
        await hub.store.appendAudit([{ at: new Date().toISOString(), kind: 'operator.action', actor: `cli:${cliUser()}`, subject: 'audit-trail', data: { action: 'export', records: r.records, seals: r.seals, ...(o.from ? { from: o.from.toISOString() } : {}), ...(o.to ? { to: o.to.toISOString() } : {}) } }]);
        process.stdout.write(`wrote ${r.records} records and ${r.seals} seals to ${o.out}; verify with: wasl audit verify --export ${o.out} --public-key ${hub.auditKeys.publicKey}\n`);
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
          process.stdout.write(`# record ${recordName(r)} ${r.at} ${String(r.data.provider)}.${String(r.data.operation)} ${String(r.data.outcome)}\n`);
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
  return cmd;
}
