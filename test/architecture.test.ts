/**
 * The rooms and the direction of their imports (README, "Architecture in brief"), read from the
 * code itself so that they stay as drawn: every import and require of every TypeScript and
 * JavaScript file of the repository (type-only imports included: they couple files as much), as
 * TypeScript's own pre-processor reads them.
 *
 *  - hub/ imports nothing from sandbox/ (the sandbox is handed to the hub at start) nor from
 *    nodes/ (the hub hands the nodes their context; nodes may import it, not the reverse);
 *  - connectors/ import nothing but connectors/ and contracts/ (they know no hub, no Node-RED);
 *  - contracts/ import nothing but contracts/;
 *  - no file-level import cycle, anywhere.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..');
const SKIP = new Set(['node_modules', '.git', 'data', 'test-artifacts', 'sandbox-report', 'chaos-report']);

function sourceFiles(dir = ROOT): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|js|cjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The file a relative specifier names, as Node and tsx resolve it; undefined for packages and data. */
function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.js`, join(base, 'index.ts'), join(base, 'index.js')]) {
    if (existsSync(candidate) && statSync(candidate).isFile() && /\.(ts|js|cjs)$/.test(candidate)) return candidate;
  }
  return undefined;
}

/** file (relative, with /) -> the files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const rel = (p: string) => relative(ROOT, p).split(sep).join('/');
  for (const file of sourceFiles()) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = [...info.importedFiles, ...info.referencedFiles].map((f) => resolveImport(file, f.fileName)).filter((t): t is string => t !== undefined);
    graph.set(rel(file), [...new Set(targets.map(rel))]);
  }
  return graph;
}

/** Strongly connected components of more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('architecture: the rooms and the direction of their imports', () => {
  const graph = importGraph();
  const edges = [...graph].flatMap(([from, tos]) => tos.map((to) => ({ from, to })));
  const breaking = (rule: (from: string, to: string) => boolean) => edges.filter((e) => rule(e.from, e.to)).map((e) => `${e.from} -> ${e.to}`);

  it('reads the whole repository (the control: the graph is not empty and sees the rooms)', () => {
    assert.ok(graph.size > 300, `${graph.size} files`);
    for (const room of ['hub/', 'connectors/', 'contracts/', 'nodes/', 'sandbox/']) assert.ok(edges.some((e) => e.from.startsWith(room)), room);
    assert.ok(edges.some((e) => e.from === 'hub/hub.ts' && e.to === 'hub/gateway/server.ts'), 'an import it must see');
  });

  it('hub/ imports nothing from sandbox/ or nodes/', () => {
    assert.deepEqual(breaking((from, to) => from.startsWith('hub/') && (to.startsWith('sandbox/') || to.startsWith('nodes/'))), []);
  });

  it('connectors/ import only connectors/ and contracts/; contracts/ only contracts/', () => {
    assert.deepEqual(breaking((from, to) => from.startsWith('connectors/') && !to.startsWith('connectors/') && !to.startsWith('contracts/')), []);
    assert.deepEqual(breaking((from, to) => from.startsWith('contracts/') && !to.startsWith('contracts/')), []);
  });

  it('has no file-level import cycle', () => {
    assert.deepEqual(cycles(graph), []);
  });
});
