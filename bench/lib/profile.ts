/** Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by package/file. */
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from './order';

interface CpuProfile {
  nodes: Array<{ id: number; hitCount?: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

function where(url: string): { file: string; pkg: string } {
  const file = url.replace(/^file:\/\//, '').replace(`${REPO_ROOT}/`, '');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  const pkg = nm?.[1] ?? (file.startsWith('node:') ? 'node core' : file === '' ? '(native/V8)' : file);
  return { file, pkg };
}

export function summariseProfile(path: string, top = 25): string {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)?.callFrame;
    if (!f) continue;
    const { file, pkg } = where(f.url);
    const name = `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
    byFn.set(name, (byFn.get(name) ?? 0) + us);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
  }
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`)
      .join('\n');
  return `self time, ${(total / 1e6).toFixed(1)} s sampled\nby function:\n${rows(byFn)}\nby package or file:\n${rows(byPkg)}`;
}
