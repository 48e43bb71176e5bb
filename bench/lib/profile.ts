/**
 * Summarises a .cpuprofile: self time by function (a native frame is shown with the JS function
 * that called it), self time by package or file, and inclusive time of the hub's own functions.
 */
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from './order';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = (url: string) => url.replace(/^file:\/\//, '').replace(`${REPO_ROOT}/`, '');
const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url ? `${file(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : ''}`.trim();

function pkgOf(n: ProfileNode): string {
  const f = file(n.callFrame.url);
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f);
  return nm?.[1] ?? (f.startsWith('node:') ? 'node core' : f === '' ? '(native/V8)' : f);
}

export function summariseProfile(path: string, top = 25): string {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, ProfileNode>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const self = new Map<number, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    let name = label(n);
    if (!n.callFrame.url && !name.startsWith('(')) {
      let p = parent.get(id);
      while (p && !p.callFrame.url) p = parent.get(p.id);
      if (p) name += ` ← ${label(p)}`;
    }
    add(byFn, name, us);
    add(byPkg, pkgOf(n), us);
  }
  // Inclusive time of hub/ functions, each node counted once per distinct function on its stack.
  const incl = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let n = byId.get(id); n; n = parent.get(n.id)) {
      const l = label(n);
      if (file(n.callFrame.url).startsWith('hub/') && !seen.has(l)) {
        seen.add(l);
        add(incl, l, us);
      }
    }
  }
  const rows = (m: Map<string, number>, k = top) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`)
      .join('\n');
  return [
    `${(total / 1e6).toFixed(1)} s sampled. Self time by function:`,
    rows(byFn),
    'Self time by package or file:',
    rows(byPkg, 15),
    'Inclusive time of hub/ functions:',
    rows(incl, 15),
  ].join('\n');
}
