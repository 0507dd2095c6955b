/**
 * A readable diff of an expected item and the item a pipeline produced: both written as YAML, lines
 * only expected marked `-`, lines only produced marked `+`, as `diff -u` does.
 * @module
 */
// npm: specifiers keep the module importable by URL from a config-less Deno script (ARCHITECTURE.md).
// In this repository deno.json maps this specifier to the package's ES module build (ARCHITECTURE.md,
// "npm packages"); the types come from the package, spelled so that the map leaves them alone.
// deno-lint-ignore no-import-prefix
// @ts-types="npm:yaml@2"
import * as YAML from "npm:yaml@^2.9.1";

/**
 * The lines of `expected` and `actual` as YAML, each prefixed `  ` (both), `- ` (expected only) or
 * `+ ` (actual only). Long texts are cut at 200 characters a line.
 *
 * @example
 * ```ts
 * import { itemDiff } from "./item_diff.ts";
 * console.log(itemDiff({ a: 1, b: 2 }, { a: 1, b: 3 }).join("\n"));
 * //   a: 1
 * // - b: 2
 * // + b: 3
 * ```
 */
export function itemDiff(expected: unknown, actual: unknown): string[] {
  const a = render(expected);
  const b = render(actual);
  // Longest common subsequence of lines: items are short, the quadratic table is small.
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(`  ${a[i++]}`);
      j++;
    } else if (i < a.length && (j >= b.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push(`- ${a[i++]}`);
    } else {
      out.push(`+ ${b[j++]}`);
    }
  }
  return out;
}

function render(value: unknown): string[] {
  if (value === undefined) return ["(no item)"];
  const text = YAML.stringify(value, { lineWidth: 0 }).trimEnd();
  return text.split("\n").map((l) => (l.length > 200 ? l.slice(0, 197) + "..." : l));
}
