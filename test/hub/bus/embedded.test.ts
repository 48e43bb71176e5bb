import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus } from '../../../hub/bus/embedded';
import { createLogger } from '../../../hub/log';
import { SqliteDatabase } from '../../../hub/sqlite/database';
import { SqliteStore } from '../../../hub/store/sqlite';
import { LogSink } from '../../helpers';
import { spawn } from 'node:child_process';
const HANGING = join(__dirname, '..', '..', 'fixtures', 'bus-embedded', 'hanging-consumer.ts');
import { busContract, message, until } from './contract';

const logger = createLogger('warn', new LogSink());

describe('bus: embedded', () => {
  describe('contract', () => {
    busContract(
      async () => {
        const database = new SqliteDatabase(':memory:');
        const store = new SqliteStore({ database });
        return { bus: new EmbeddedBus({ database, store, logger, pollMs: 50 }), store, database };
      },
      async (f) => {
        await f.bus.close();
        (f as unknown as { database: SqliteDatabase }).database.close();
      },
    );
  });

  describe('on disk', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'wasl-bus-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const open = (file: string, visibilityMs = 60_000) => {
      const database = new SqliteDatabase(file);
      const store = new SqliteStore({ database });
      return { database, store, bus: new EmbeddedBus({ database, store, logger, pollMs: 50, visibilityMs }) };
    };

    it('keeps published messages across a restart', async () => {
      const file = join(dir, 'wasl.db');
      const a = open(file);
      const sent = [message('svc'), message('svc')];
      await a.bus.publish(sent);
      await a.bus.close();
      a.database.close();
      const b = open(file);
      const got: string[] = [];
      const sub = await b.bus.subscribe({ service: 'svc', handler: async (d) => void got.push(d.message.eventId) });
      await until(() => got.length === 2, 5_000, 'redelivery after restart');
      assert.deepEqual(got.sort(), sent.map((m) => m.eventId).sort());
      await sub.stop();
      await b.bus.close();
      b.database.close();
    });

    /** Starts a worker that claims one message of `svc` and hangs; resolves once it has, then kills it. */
    async function crashOnce(file: string, visibilityMs: number, limit: number): Promise<boolean> {
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', HANGING, file, 'svc', String(visibilityMs), String(limit)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise((r) => child.once('exit', r));
      const deadline = Date.now() + 3_000 + visibilityMs;
      while (!out.includes('claimed') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGKILL');
      await exited;
      return out.includes('claimed');
    }

    it('delivers again a message whose worker was killed before acknowledging, once its lease runs out', async () => {
      const file = join(dir, 'wasl.db');
      const a = open(file, 300);
      const sent = message('svc');
      await a.bus.publish([sent]);
      assert.equal(await crashOnce(file, 300, 20), true);
      const got: Array<[string, boolean]> = [];
      const sub = await a.bus.subscribe({ service: 'svc', handler: async (d) => void got.push([d.message.eventId, d.redelivered]) });
      await until(() => got.length === 1, 5_000, 'redelivery');
      assert.deepEqual(got, [[sent.eventId, true]]);
      await sub.stop();
      await a.bus.close();
      a.database.close();
    });

    it('dead-letters a message that keeps killing its workers', async function () {
      this.timeout(30_000);
      const file = join(dir, 'wasl.db');
      const a = open(file, 200);
      await a.bus.publish([message('svc')]);
      assert.equal(await crashOnce(file, 200, 2), true);
      assert.equal(await crashOnce(file, 200, 2), true);
      // The third delivery is over the limit of 2: it is dead-lettered instead of handled.
      const got: string[] = [];
      const b = new EmbeddedBus({ database: a.database, store: a.store, logger, pollMs: 20, visibilityMs: 200, deliveryLimit: 2 });
      const sub2 = await b.subscribe({ service: 'svc', handler: async (d) => void got.push(d.message.eventId) });
      await until(async () => (await a.store.listDeadLetters({ service: 'svc', limit: 5 })).length === 1, 10_000, 'dead letter');
      assert.equal((await a.store.listDeadLetters({ service: 'svc', limit: 5 }))[0]?.reason, 'delivery-limit');
      assert.deepEqual(got, []);
      await sub2.stop();
      await a.bus.close();
      a.database.close();
    });
  });
});
