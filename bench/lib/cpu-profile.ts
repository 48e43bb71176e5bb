/**
 * In-process CPU profile for the hub child (node:inspector), written as a .cpuprofile whose
 * call frames point at the TypeScript lines, mapped through the loader's inline source maps
 * (module.findSourceMap): the raw positions of `node --cpu-prof` are in the compiled code.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { findSourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface Frame {
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export async function startProfile(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = await session.post('Profiler.stop');
    for (const node of profile.nodes) mapFrame(node.callFrame);
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

function mapFrame(f: Frame): void {
  if (!f.url.startsWith('file://') || f.lineNumber < 0) return;
  const map = findSourceMap(fileURLToPath(f.url)) ?? findSourceMap(f.url);
  const e = map?.findEntry(f.lineNumber, f.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
  if (!e?.originalSource || e.originalLine === undefined) return;
  f.url = e.originalSource.startsWith('file://') ? e.originalSource : `file://${e.originalSource}`;
  f.lineNumber = e.originalLine;
}
