/**
 * `html`: pages parsed with linkedom in a pool worker (or on the loop), a user function of the document,
 * and the ready-made article extractor (Readability), through YAML and TypeScript.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildPipeline, ConfigErrors, loadPipelineConfig } from "../engine/config/mod.ts";
import { fromIterable, pipeline, runPipeline, silentLogger, sink } from "../engine/pipeline/mod.ts";
import { CsvParser } from "../lib/records/mod.ts";
import { builtinStages } from "../stages/registry.ts";
import { htmlDocuments } from "../stages/html.ts";

const quiet = { logger: silentLogger, measureLag: false };
const fixture = fileURLToPath(new URL("./fixtures/item_functions.ts", import.meta.url));
let dir = "";

/** A page with a clear main article among navigation and a footer. */
function page(title: string, words: string): string {
  const paragraphs = Array.from(
    { length: 6 },
    (_, i) =>
      `<p>${words} paragraph ${
        i + 1
      }, long enough for a reader view to keep it as the main text of the page, with commas, and more words.</p>`,
  ).join("\n");
  return `<!doctype html><html><head><title>${title}</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>${title}</h1><p class="byline">By Ann Author</p>${paragraphs}</article>
<footer>Copyright, <a href="/legal">legal</a></footer></body></html>`;
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-html-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("html stage", () => {
  test("YAML: articles extracted on the pool, written as CSV", async () => {
    const pages = [
      { url: "https://example.org/a", body: page("First story", "Alpha") },
      { url: "https://example.org/b", body: page("Second story", "Beta") },
    ];
    await writeFile(path.join(dir, "pages.jsonl"), pages.map((p) => JSON.stringify(p)).join("\n") + "\n");
    const file = path.join(dir, "articles.yaml");
    await writeFile(
      file,
      "name: articles\nstages:\n  - use: read\n    with: { path: pages.jsonl }\n" +
        "  - use: html\n    with: { extract: article }\n" +
        "  - use: write\n    with: { path: articles.csv, columns: [url, title, length, text], mode: replace }\n",
    );
    const registry = builtinStages();
    const spec = await loadPipelineConfig(file, { catalog: registry, env: () => undefined });
    assert.equal(spec.stages[1].placement, undefined);
    const built = buildPipeline(spec, registry);
    assert.equal(built.stages[1].options.placement, "pool");
    const summary = await runPipeline(built, quiet);
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    const rows = [...new CsvParser().push(await readFile(path.join(dir, "articles.csv"), "utf8"))];
    assert.deepEqual(rows[0], ["url", "title", "length", "text"]);
    assert.deepEqual(rows.slice(1).map((r) => [r[0], r[1]]), [
      ["https://example.org/a", "First story"],
      ["https://example.org/b", "Second story"],
    ]);
    assert.match(rows[1][3], /Alpha paragraph 1/);
    assert.doesNotMatch(rows[1][3], /Copyright/);
  });

  test("a user function of the document: pool runs off the main thread, loop on it", async () => {
    for (const placement of ["pool", "loop"] as const) {
      const out: { links: string[]; onMainThread: boolean }[] = [];
      const summary = await runPipeline(
        pipeline(fromIterable([{ url: "u", html: page("T", "W") }]))
          .pipe(
            htmlDocuments<{ url: string; html: string }, { links: string[]; onMainThread: boolean }>({
              module: new URL(`file://${fixture}`).href,
              export: "linksOf",
            }, {
              field: "html",
              placement,
            }),
          )
          .to(sink((x: { links: string[]; onMainThread: boolean }) => void out.push(x))),
        quiet,
      );
      assert.equal(summary.ok, true, JSON.stringify(summary.failures));
      assert.deepEqual(out[0].links, ["/", "/about", "/legal"]);
      assert.equal(out[0].onMainThread, placement === "loop");
    }
  });

  test("check: module or extract; a missing HTML field fails the item", async () => {
    const file = path.join(dir, "bad.yaml");
    await writeFile(
      file,
      "name: bad\nstages:\n  - use: read\n    with: { path: pages.jsonl }\n  - use: html\n",
    );
    const e = await loadPipelineConfig(file, { catalog: builtinStages(), env: () => undefined }).catch((e) =>
      e
    );
    assert.ok(e instanceof ConfigErrors);
    assert.match(e.errors[0].message, /stage `html`: needs `module:` or `extract:`/);
    const summary = await runPipeline(
      pipeline(fromIterable([{ url: "no html" }]))
        .pipe(
          htmlDocuments({ module: new URL(`file://${fixture}`).href, export: "linksOf" }, {
            placement: "loop",
            onError: "drop",
          }),
        )
        .to(sink(() => {})),
      quiet,
    );
    assert.match(summary.failures[0].error, /no HTML text in `body`/);
  });
});
