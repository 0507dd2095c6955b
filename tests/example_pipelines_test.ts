/**
 * The example pipelines of pipelines/, each run end to end as a user would set it up (environment
 * variables, real files, a real HTTP server on 127.0.0.1), and each drawn by `plan`.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPipeline } from "../cli/load.ts";
import { planMermaid, planRows } from "../cli/plan.ts";
import { runPipeline, silentLogger } from "../engine/pipeline/mod.ts";
import { openSqlite } from "../engine/runtime/sqlite.ts";
import { CsvParser } from "../lib/records/mod.ts";
import { startServer } from "./support/http_server.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const example = (name: string) => path.join(repo, "pipelines", name);
const quiet = { logger: silentLogger, measureLag: false };
let dir = "";

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-examples-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("example pipelines", () => {
  test("webhook.yaml: POSTed events filtered and appended as JSON lines", async () => {
    const port = await freePort();
    const out = path.join(dir, "events.jsonl");
    const { pipeline } = await loadPipeline(example("webhook.yaml"), { PORT: String(port), OUT: out });
    const stop = new AbortController();
    let listening!: () => void;
    const serving = new Promise<void>((resolve) => (listening = resolve));
    const logger = {
      log: (_level: string, message: string) => void (message.startsWith("serving") && listening()),
    };
    const run = runPipeline(pipeline, { ...quiet, logger, stopSignal: stop.signal });
    await serving;
    const url = `http://127.0.0.1:${port}/events`;
    const send = async (event: unknown) => {
      const r = await fetch(url, { method: "POST", body: JSON.stringify(event) });
      await r.body?.cancel();
      return r.status;
    };
    assert.equal(await send({ type: "order", amount: 42 }), 202);
    assert.equal(await send({ type: "ping" }), 202);
    assert.equal(await send({ type: "order", amount: 7 }), 202);
    stop.abort();
    assert.equal((await run).ok, true);
    const lines = (await readFile(out, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((e) => e.amount), [42, 7]);
    assert.ok(lines.every((e) => typeof e.received === "string"));
  });

  test("log_summary.yaml: a log file counted by hour and level into SQLite", async () => {
    const log = path.join(dir, "app.log");
    await writeFile(
      log,
      [
        "2026-12-06T20:15:03Z INFO started",
        "2026-12-06T20:16:00Z ERROR payment failed",
        "  a continuation line without a level",
        "2026-12-06T20:59:59Z INFO done",
        "2026-12-06T21:00:01Z WARN slow",
      ].join("\n") + "\n",
    );
    const db = path.join(dir, "summary.db");
    const { pipeline } = await loadPipeline(example("log_summary.yaml"), { LOG: log, DB: db });
    const summary = await runPipeline(pipeline, quiet);
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    const check = await openSqlite(db);
    try {
      const rows = check.prepare("SELECT hour, level, n FROM levels ORDER BY hour, level").all().map((r) => ({
        ...r,
      }));
      assert.deepEqual(rows, [
        { hour: "2026-12-06T20", level: "ERROR", n: 1 },
        { hour: "2026-12-06T20", level: "INFO", n: 2 },
        { hour: "2026-12-06T21", level: "WARN", n: 1 },
      ]);
    } finally {
      check.close();
    }
  });

  test("articles.yaml: pages fetched over http, articles extracted with html, written as CSV", async () => {
    const body = (title: string) =>
      `<html><head><title>${title}</title></head><body><nav><a href="/">Home</a></nav><article><h1>${title}</h1>` +
      Array.from(
        { length: 5 },
        (_, i) =>
          `<p>${title} text ${i}, a paragraph long enough to count as the article, with commas, and words.</p>`,
      ).join("") +
      "</article><footer>footer</footer></body></html>";
    const server = await startServer({
      "/one": (_req, res) => void res.writeHead(200, { "content-type": "text/html" }).end(body("One")),
      "/two": (_req, res) => void res.writeHead(200, { "content-type": "text/html" }).end(body("Two")),
    });
    try {
      const pages = path.join(dir, "pages.txt");
      await writeFile(
        pages,
        `${server.url("/one")}\n# a comment\n${server.url("/two")}\n${server.url("/gone")}\n`,
      );
      const out = path.join(dir, "articles.csv");
      const { pipeline } = await loadPipeline(example("articles.yaml"), { PAGES: pages, OUT: out });
      const summary = await runPipeline(pipeline, quiet);
      assert.equal(summary.failures.length, 1, "the 404 page is reported and skipped");
      const rows = [...new CsvParser().push(await readFile(out, "utf8"))];
      assert.deepEqual(rows[0], ["url", "title", "byline", "length", "excerpt"]);
      assert.deepEqual(rows.slice(1).map((r) => r[1]).sort(), ["One", "Two"]);
    } finally {
      await server.close();
    }
  });

  test("plan draws each of them", async () => {
    for (
      const [file, stages] of [["webhook.yaml", 4], ["log_summary.yaml", 5], ["articles.yaml", 6]] as const
    ) {
      const { pipeline } = await loadPipeline(example(file), {});
      assert.equal(planRows(pipeline).length, stages, file);
      assert.match(planMermaid(pipeline), /flowchart LR/);
    }
    const { pipeline } = await loadPipeline(example("articles.yaml"), {});
    assert.equal(planRows(pipeline).find((r) => r.name === "html")?.placement, "pool");
  });
});
