/** A `wasl start` child process, as tests spawn it: the URL it says it listens on, once started. */
import type { ChildProcess } from 'node:child_process';

/** Resolves with the hub's URL from its start log line; rejects when it exits first or says nothing in `timeoutMs`. */
export function hubStartedAt(child: ChildProcess, timeoutMs = 60_000): Promise<string> {
  return new Promise<string>((ok, fail) => {
    let buf = '';
    const t = setTimeout(() => fail(new Error(`no start: ${buf.slice(-2000)}`)), timeoutMs);
    child.stderr!.on('data', (c: Buffer) => (buf += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*wasl hub started/.exec(buf);
      if (m) {
        clearTimeout(t);
        ok(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      fail(new Error(`exited ${code}: ${buf.slice(-2000)}`));
    });
  });
}
