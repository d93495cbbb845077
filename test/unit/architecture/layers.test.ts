// issue 17: the folders under src/ form layers that point one way. A folder may import only
// folders in layers below its own: never one above it, never a sibling in its own layer, so
// no two folders can import each other. Imports are read with TypeScript's own pre-processor
// (static imports, `export ... from`, `import type`, dynamic `import()`): a type-only import
// is a dependency too, since it ties the folders' code together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const srcDir = resolve(import.meta.dirname, '../../../src');

/**
 * The layers, bottom first; docs/architecture.md draws the same picture. Why this order:
 * base holds what every layer uses (the one `invariant` helper); the wire format (protocol), the Raft core and the config parser depend on nothing of ours;
 * security (sessions, SASL mechanisms, ACL matching) is pure code on the wire format and config, used by the client and the broker alike;
 * logging needs the config; the Kafka client (what `runnel` speaks) needs only the wire format; the log files and the peer transport sit on those; the metadata
 * model (topics, assignments, topic configs, the Controller seam) and the runtime that hosts
 * Raft groups over the transport need only those; partition replicas use all of that; the
 * controllers (single-node SQLite, the metadata Raft group) reuse the replicas' Raft log
 * storage; the Kafka broker (handlers, groups) sees replicas and the Controller seam only; the
 * status server shows a node; the wiring of a broker process, single node and cluster, is
 * above everything it wires; the command line starts it.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['base'],
  ['protocol', 'raft', 'config'],
  ['security'],
  ['log', 'client'],
  ['storage', 'transport', 'discovery'],
  ['metadata', 'raft-host'],
  ['partition'],
  ['controller'],
  ['broker'],
  ['http'],
  ['node'],
  ['cli'],
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out.sort();
}

/** The top-level folder under src/ that holds `path` ('' for a file directly in src/). */
function folderOf(path: string): string {
  const rel = relative(srcDir, path).split(sep);
  return rel.length > 1 ? rel[0] : '';
}

interface Edge {
  from: string;
  to: string;
  file: string;
  target: string;
}

/** Every import of one src folder by another, read from the files as they are now. */
function folderImports(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(srcDir)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), ref.fileName);
      const from = folderOf(file);
      const to = folderOf(target);
      if (from !== to) edges.push({ from, to, file: relative(srcDir, file), target: relative(srcDir, target) });
    }
  }
  return edges;
}

const layerOf = new Map<string, number>();
LAYERS.forEach((layer, i) => layer.forEach((folder) => layerOf.set(folder, i)));

test('issue 17: every folder under src/ has its place in LAYERS', () => {
  const folders = new Set(sourceFiles(srcDir).map(folderOf));
  const unplaced = [...folders].filter((f) => !layerOf.has(f)).map((f) => (f === '' ? 'src/ itself' : `src/${f}/`));
  assert.deepEqual(unplaced, [], 'add each new folder to LAYERS (and to the picture in docs/architecture.md)');
});

test('issue 17: no folder imports a folder in its own layer or above', () => {
  const wrong = folderImports()
    .filter((e) => layerOf.has(e.from) && layerOf.has(e.to) && layerOf.get(e.to)! >= layerOf.get(e.from)!)
    .map((e) => `${e.file} -> ${e.target} (${e.from} may not import ${e.to})`);
  assert.deepEqual(wrong, []);
});

test('issue 17: no two folders import each other, directly or round a circle', () => {
  const graph = new Map<string, Set<string>>();
  for (const e of folderImports()) {
    if (!graph.has(e.from)) graph.set(e.from, new Set());
    graph.get(e.from)!.add(e.to);
  }
  // Depth-first search; a folder met again while still on the path closes a circle.
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (folder: string): void => {
    state.set(folder, 'open');
    path.push(folder);
    for (const next of graph.get(folder) ?? []) {
      if (state.get(next) === 'open') circles.push([...path.slice(path.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(folder, 'done');
  };
  for (const folder of [...graph.keys()].sort()) if (!state.has(folder)) visit(folder);
  assert.deepEqual(circles, []);
});
