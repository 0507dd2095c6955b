/**
 * The relative imports of the project's TypeScript files, read by a regular expression (static `import`
 * and `export ... from`, type-only ones included; imports written in comments and doc examples are not
 * statements and are not read), and the cycles among them. With `{ types: false }`, `import type` and
 * `export type` statements are left out: what is left is what a runtime loads.
 *
 * @example
 * ```ts
 * import { findCycles } from "./import_graph.ts";
 * findCycles(new Map([["a.ts", ["b.ts"]], ["b.ts", ["a.ts"]]])); // [["a.ts", "b.ts"]]
 * ```
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** File (relative to the root, `/`-separated) -> the files it imports. */
export type ImportGraph = Map<string, string[]>;

const SKIPPED_DIRS = new Set(["node_modules", ".git", ".sluice", "mail", "fixtures", "out"]);
const FROM = /^[ \t]*(?:import|export)\b[^;'"`]*?\bfrom[ \t]*["']([^"']+)["']/gm;
const BARE = /^[ \t]*import[ \t]*["']([^"']+)["']/gm;
const TYPE_ONLY = /^[ \t]*(?:import|export)[ \t]+type\b/;

/** Which imports to read: `types: false` leaves out `import type` and `export type` statements. */
export interface ImportGraphOptions {
  /** Read type-only imports (default true). */
  types?: boolean;
}

/**
 * The import graph of every `.ts` file under `root` (node_modules and fixtures left out).
 *
 * @example
 * ```ts
 * import { importGraph } from "./import_graph.ts";
 * const graph = importGraph(".");
 * graph.get("mod.ts"); // ["engine/kernel/mod.ts", ...]
 * ```
 */
export function importGraph(root: string, options: ImportGraphOptions = {}): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of tsFiles(root, "")) {
    graph.set(file, relativeImports(file, readFileSync(path.join(root, file), "utf8"), options));
  }
  return graph;
}

/**
 * The files `from` loads through `graph`, itself included.
 *
 * @example
 * ```ts
 * import { reachable } from "./import_graph.ts";
 * reachable(new Map([["a.ts", ["b.ts"]], ["b.ts", []]]), "a.ts"); // Set { "a.ts", "b.ts" }
 * ```
 */
export function reachable(graph: ImportGraph, from: string): Set<string> {
  const seen = new Set<string>([from]);
  const pending = [from];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    for (const next of graph.get(file) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        pending.push(next);
      }
    }
  }
  return seen;
}

/**
 * The files `source` (the text of `file`) imports by a relative specifier, relative to the same root.
 *
 * @example
 * ```ts
 * import { relativeImports } from "./import_graph.ts";
 * relativeImports("stages/fetch.ts", 'import type { A } from "../lib/a.ts";'); // ["lib/a.ts"]
 * ```
 */
export function relativeImports(file: string, source: string, options: ImportGraphOptions = {}): string[] {
  const found = new Set<string>();
  for (const re of [FROM, BARE]) {
    for (const m of source.matchAll(re)) {
      if (options.types === false && TYPE_ONLY.test(m[0])) continue;
      const spec = m[1];
      if (!spec.startsWith("./") && !spec.startsWith("../")) continue;
      found.add(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)));
    }
  }
  return [...found].sort();
}

/**
 * Every cycle of `graph` as the files of one strongly connected component (sorted), found by Tarjan's
 * algorithm; a file that imports itself is a cycle of one.
 *
 * @example
 * ```ts
 * import { findCycles } from "./import_graph.ts";
 * findCycles(new Map([["a.ts", ["b.ts"]], ["b.ts", []]])); // []
 * ```
 */
export function findCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

function tsFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith(".")) out.push(...tsFiles(root, rel));
    } else if (entry.isFile() && entry.name.endsWith(".ts")) out.push(rel);
  }
  return out;
}
