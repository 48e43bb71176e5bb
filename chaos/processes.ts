/**
 * The distributed set-up under test, as operators run it: one gateway (`wasl start --no-workers`:
 * the API, the outbox relay and the payment/post watcher) and worker processes (`wasl worker`:
 * the flows), sharing PostgreSQL and RabbitMQ. Each is a real child process of bin/wasl.js, so
 * SIGKILL is a real crash. Their logs (pino JSON) go to one file per process, kept for the
 * report and scanned afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';

const WASL = resolve(__dirname, '..', 'bin', 'wasl.js');
/** The V8 flags every hub process runs with, as bin/wasl.js's first line names them. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- bin/ is CommonJS
const { HUB_NODE_FLAGS } = require('../bin/node-flags') as { HUB_NODE_FLAGS: string[] };

export class WaslProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream;
  private generation = 0;
  kills = 0;

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    logDir: string,
  ) {
    this.log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts it and resolves once it logged that it started (its flows running, its consumers subscribed). */
  start(timeoutMs = 90_000): Promise<void> {
    const gen = ++this.generation;
    const child = spawn(process.execPath, [...HUB_NODE_FLAGS, WASL, ...this.args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    return new Promise<void>((ok, fail) => {
      let buffered = '';
      let done = false;
      const timer = setTimeout(() => finish(new Error(`${this.name} did not start within ${timeoutMs} ms`)), timeoutMs);
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) fail(err);
        else ok();
      };
      child.stdout!.on('data', (chunk: Buffer) => {
        this.log.write(chunk);
        if (done) return;
        buffered = (buffered + chunk.toString('utf8')).slice(-64 * 1024);
        if (buffered.includes('"msg":"wasl hub started"')) finish();
      });
      child.stderr!.on('data', (chunk: Buffer) => this.log.write(chunk));
      child.once('exit', (code, signal) => {
        if (gen === this.generation) this.child = undefined;
        finish(new Error(`${this.name} exited while starting (code ${code}, signal ${signal}); see its log`));
      });
    });
  }

  /** SIGKILL: no shutdown hook runs, whatever it held is left as a crash leaves it. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.kills++;
    await new Promise<void>((done) => {
      child.once('exit', () => done());
      child.kill('SIGKILL');
    });
  }

  /** SIGTERM, for the end of the run: the hub drains and closes. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((done) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', () => {
        clearTimeout(t);
        done();
      });
      child.kill('SIGTERM');
    });
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((done) => this.log.end(done));
  }
}
