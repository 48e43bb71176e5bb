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

/**
 * Where the hub's busy time goes, by what it is for: each sample is given to the first of these
 * rules that its stack (leaf to root) matches, so nested work lands where it is asked for (the
 * audit chain's HMACs inside a commit under the audit chain, SQLite's own C under SQLite).
 */
const ITEMS: Array<[string, (stack: ProfileNode[]) => boolean]> = [
  ['garbage collection', ([leaf]) => leaf?.callFrame.functionName === '(garbage collector)'],
  ['SQLite itself: statements, the commits\' page writes (native)', ([leaf]) => !!leaf && !leaf.callFrame.url && /^(run|get|all|iterate|exec|prepare|pluck|raw)$/.test(leaf.callFrame.functionName)],
  ['the gateway: Fastify, authentication, validation, intake, the answer', (s) => s.some((n) => /\/hub\/gateway\/|node_modules\/(fastify|@fastify|ajv)\//.test(n.callFrame.url))],
  ['the audit chain: links and their MACs', (s) => s.some((n) => n.callFrame.url.includes('/hub/audit/'))],
  ['the extract: encryption, chunks, verification code', (s) => s.some((n) => n.callFrame.url.includes('/hub/documents/'))],
  ['the ministry call: SOAP request, answer\'s XML, HTTP client', (s) => s.some((n) => /\/connectors\//.test(n.callFrame.url))],
  ['the store\'s JavaScript: steps planned, rows and JSON, the group commit', (s) => s.some((n) => /\/hub\/(store|sqlite)\//.test(n.callFrame.url))],
  ['the bus and dispatcher: hand-over, consume, relay', (s) => s.some((n) => /\/hub\/(bus|runtime)\//.test(n.callFrame.url))],
  ['JSONata (the flows\' maps)', (s) => s.some((n) => n.callFrame.url.includes('node_modules/jsonata/'))],
  ['logs (pino)', (s) => s.some((n) => /node_modules\/(pino|safe-stable-stringify)\//.test(n.callFrame.url))],
  ['Node-RED and wasl\'s nodes', (s) => s.some((n) => /node_modules\/(@node-red|node-red)\/|\/nodes\//.test(n.callFrame.url))],
  ['the rest of the hub (hub/, contracts/)', (s) => s.some((n) => /\/(hub|contracts)\//.test(n.callFrame.url))],
  ['Node itself: promises, timers, sockets, HTTP parsing', () => true],
];

/** Busy time itemised by ITEMS: share, and ms per order when `orders` is given. */
export function itemiseProfile(path: string, orders?: number): string {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, ProfileNode>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const byItem = new Map<string, number>(ITEMS.map(([name]) => [name, 0]));
  let busy = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    const stack: ProfileNode[] = [];
    for (let n = byId.get(id); n; n = parent.get(n.id)) stack.push(n);
    const leaf = stack[0]?.callFrame.functionName;
    if (leaf === '(idle)' || leaf === '(root)') return;
    busy += dt;
    const item = ITEMS.find(([, matches]) => matches(stack))![0];
    byItem.set(item, byItem.get(item)! + dt);
  });
  const per = (us: number) => (orders ? `${(us / 1000 / orders).toFixed(3).padStart(6)} ms per order` : '');
  return [
    `Busy ${(busy / 1e6).toFixed(1)} s${orders ? ` over ${orders} orders, ${(busy / 1000 / orders).toFixed(2)} ms each` : ''}, itemised:`,
    ...[...byItem.entries()].sort((a, b) => b[1] - a[1]).map(([name, us]) => `  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${per(us)}  ${name}`),
  ].join('\n');
}
