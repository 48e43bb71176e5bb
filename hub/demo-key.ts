/**
 * The sandbox's demo channel, made when WASL_CHANNEL_KEYS is unset so that `npm start` then
 * `curl` works at once. Its key is kept in the data directory (mode 0600) so it survives restarts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChannelKey } from './config';
import { writePrivateFile } from './private-files';

export function demoChannelKey(dataDir: string): ChannelKey {
  const file = join(dataDir, 'demo-channel-key');
  let key = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (!/^wasl_demo_[A-Za-z0-9_-]{32,}$/.test(key)) {
    key = `wasl_demo_${randomBytes(24).toString('base64url')}`;
    writePrivateFile(file, `${key}\n`);
  }
  return { channel: 'demo', key, services: ['*'], kind: 'centre', readAll: true };
}
