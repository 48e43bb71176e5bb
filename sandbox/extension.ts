/**
 * What the hub receives of the sandbox at start (DESIGN: by injection; hub/ imports nothing of
 * sandbox/): the simulated providers a sandbox hub runs beside it (`wasl start`; WASL_SIMULATORS=off
 * skips them), and the reader of services' certificates (../hub/lifecycle.ts). `wasl`
 * (bin/wasl.js, through ./cli.ts), the tests and the benchmarks hand it to startHub / createHub.
 */
import type { HubExtensions } from '../hub/hub';
import { certificateReader } from './certificate';

export const sandboxExtension = {
  certificates: certificateReader,
  // Required only when a sandbox hub starts them (a production hub never does).
  simulators: (env, logger, dataDir) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startSimulators } = require('./simulators') as typeof import('./simulators');
    return startSimulators(env, logger, dataDir);
  },
} satisfies HubExtensions;
