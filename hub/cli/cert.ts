/**
 * `wasl cert keygen`: a new Ed25519 key pair for the release gate (docs/release.md). QA keeps the
 * private key (WASL_CERT_SIGNING_KEY, where `wasl sandbox test` issues certificates); production
 * is given only the public key (WASL_CERT_TRUSTED_KEYS, comma-separated with the keys it already
 * trusts while one replaces another). Both are printed as environment assignments, base64 of
 * their DER form, one line each; `--json` prints them as an object.
 */
import { Command } from 'commander';
import { generateKeyPair } from '../certificate-keys';

export function certCommand(out: NodeJS.WritableStream = process.stdout): Command {
  const cmd = new Command('cert').description('The release gate\'s keys: QA signs certificates, production trusts their public keys (docs/release.md)');
  cmd
    .command('keygen')
    .description('Make an Ed25519 key pair: the private key for QA (WASL_CERT_SIGNING_KEY), the public key for production (WASL_CERT_TRUSTED_KEYS)')
    .option('--json', 'print {keyId, signingKey, publicKey}')
    .action((opts: { json?: boolean }) => {
      const pair = generateKeyPair();
      if (opts.json) {
        out.write(`${JSON.stringify(pair, null, 2)}\n`);
        return;
      }
      out.write(
        [
          `# key ${pair.keyId}`,
          '# QA only, in its secret store, where `wasl sandbox test` signs the certificates it issues; never in production:',
          `WASL_CERT_SIGNING_KEY=${pair.signingKey}`,
          '# production (and anyone who checks certificates): the keys it trusts, comma-separated:',
          `WASL_CERT_TRUSTED_KEYS=${pair.publicKey}`,
          '',
        ].join('\n'),
      );
    });
  return cmd;
}
