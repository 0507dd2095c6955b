import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, test } from "./support/testing.ts";
import {
  findCycles,
  type ImportGraph,
  importGraph,
  reachable,
  relativeImports,
} from "./support/import_graph.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

describe("the import graph", () => {
  const graph = importGraph(ROOT);

  test("reads the tree", () => {
    assert.ok(graph.size > 100, `only ${graph.size} files read`);
    assert.ok(graph.get("kernel.ts")?.includes("engine/kernel/mod.ts"));
  });

  test("has no cycle, type imports included", () => {
    assert.deepEqual(findCycles(graph), []);
  });

  test("the parts of engine/ and the libraries of lib/ depend on each other one way", () => {
    // engine/kernel, engine/config, lib/feed...: a part depends on another through any of its files.
    const partOf = (file: string) => {
      const [top, part] = file.split("/");
      return (top === "engine" || top === "lib") && file.split("/").length > 2 ? `${top}/${part}` : top;
    };
    const parts: ImportGraph = new Map();
    for (const [file, imports] of graph) {
      const from = partOf(file);
      const to = new Set(parts.get(from));
      for (const i of imports) if (partOf(i) !== from) to.add(partOf(i));
      parts.set(from, [...to]);
    }
    assert.deepEqual(findCycles(parts), []);
  });

  test("nothing in lib/ imports engine/pipeline or stages", () => {
    const wrong = [...graph].flatMap(([file, imports]) =>
      file.startsWith("lib/")
        ? imports.filter((i) => i.startsWith("engine/pipeline/") || i.startsWith("stages/")).map((i) =>
          `${file} -> ${i}`
        )
        : []
    );
    assert.deepEqual(wrong, []);
  });
});

describe("what a run loads before its first fetch", () => {
  const graph = importGraph(ROOT, { types: false });

  test("not the IMAP client, the feed parser or the MIME writer: their stages load them when they open", () => {
    // The CLI loads cli/run_command.ts (and the pipeline's stages through it) before anything is fetched;
    // these load later, while the first feeds are on their way (stages/mailbox.ts, the parse and mime tasks).
    const loaded = reachable(graph, "cli/run_command.ts");
    assert.ok(
      loaded.has("stages/mailbox.ts") && loaded.has("stages/parse.ts") && loaded.has("stages/mime.ts"),
    );
    const late = [
      "lib/imap/uploader.ts",
      "lib/imap/client.ts",
      "lib/feed/parse_feed.ts",
      "lib/mime/compose.ts",
    ];
    assert.deepEqual(late.filter((file) => loaded.has(file)), []);
    // They are still what those stages run.
    assert.ok(reachable(graph, "stages/parse_task.ts").has("lib/feed/parse_feed.ts"));
    assert.ok(reachable(graph, "stages/mime_task.ts").has("lib/mime/compose.ts"));
  });
});

describe("the import walker", () => {
  test("reads type imports, multi-line lists and re-exports, not doc examples", () => {
    const source = [
      "/**",
      ' * import { x } from "./in_a_comment.ts";',
      " */",
      'import type { A } from "../lib/a.ts";',
      "import {",
      "  b,",
      "  c,",
      '} from "./b.ts";',
      'export { d } from "./d.ts";',
      'import "./side_effect.ts";',
      'import { e } from "npm:e@^1.0.0";',
    ].join("\n");
    assert.deepEqual(relativeImports("stages/x.ts", source), [
      "lib/a.ts",
      "stages/b.ts",
      "stages/d.ts",
      "stages/side_effect.ts",
    ]);
  });

  test("leaves out type-only imports when asked", () => {
    const source =
      'import type { A } from "./a.ts";\nexport type { B } from "./b.ts";\nimport { c } from "./c.ts";';
    assert.deepEqual(relativeImports("x.ts", source, { types: false }), ["c.ts"]);
    assert.deepEqual(relativeImports("x.ts", source), ["a.ts", "b.ts", "c.ts"]);
  });

  test("finds a cycle of two and a file that imports itself", () => {
    const cycles = findCycles(
      new Map([["a.ts", ["b.ts"]], ["b.ts", ["a.ts", "c.ts"]], ["c.ts", []], ["d.ts", ["d.ts"]]]),
    );
    assert.deepEqual(cycles, [["a.ts", "b.ts"], ["d.ts"]]);
  });
});
