/**
 * `wasl operator hash`: reads a password from stdin and prints its scrypt hash for
 * WASL_OPERATORS (hub/operators.ts). On a terminal it asks twice and echoes nothing; from a pipe
 * it takes the first line (`printf '%s' "$PW" | wasl operator hash`).
 */
import { Command } from 'commander';
import type { Readable, Writable } from 'node:stream';
import { hashPassword } from '../operators';

export interface OperatorIo {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Writable;
  stderr: Writable;
}

const defaultIo = (): OperatorIo => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });

/** The first line of a piped stdin, without its line break. */
async function readPiped(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer));
    if (Buffer.concat(chunks).includes(0x0a)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/** One line typed on a terminal in raw mode, echoing nothing; Ctrl-C or Ctrl-D with nothing typed abort. */
function readHidden(io: OperatorIo, prompt: string): Promise<string> {
  const { stdin, stderr } = io;
  stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (err?: Error) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      stderr.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (data: Buffer | string) => {
      for (const ch of typeof data === 'string' ? data : data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || (ch === '\u0004' && typed === '')) return finish(new Error('aborted'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

export async function readPassword(io: OperatorIo): Promise<string> {
  if (!io.stdin.isTTY) return readPiped(io.stdin);
  const first = await readHidden(io, 'Password: ');
  const again = await readHidden(io, 'Again: ');
  if (first !== again) throw new Error('the two passwords differ');
  return first;
}

export function operatorCommand(io: OperatorIo = defaultIo()): Command {
  const operator = new Command('operator').description('Operators of the flows editor and admin API (WASL_OPERATORS)');
  operator
    .command('hash')
    .description('Read a password from stdin (hidden on a terminal; first line from a pipe) and print its scrypt hash, for the "passwordHash" of a WASL_OPERATORS entry')
    .action(async () => {
      let password: string;
      try {
        password = await readPassword(io);
      } catch (err) {
        io.stderr.write(`wasl operator hash: ${(err as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      if (password.length < 12) {
        io.stderr.write('wasl operator hash: the password must be at least 12 characters\n');
        process.exitCode = 1;
        return;
      }
      io.stdout.write(`${await hashPassword(password)}\n`);
    });
  return operator;
}
