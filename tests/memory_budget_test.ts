/**
 * The run's memory budget (`maxMemory`, `--max-memory`, `memory:`): the bytes items carry between stages
 * stay within it (at most one item per stage over, when nothing downstream holds anything), every path
 * gives the bytes back (delivered, dropped, dead-lettered, aborted), and an item larger than the whole
 * budget goes through instead of deadlocking: through the engine's constructors, and through the real
 * rss2imap stages (fetch, rewrite-images, mime, the Maildir sink) with large images.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chan } from "../engine/kernel/mod.ts";
import {
  type DeadLetter,
  fromIterable,
  LOOP_ONLY_BELOW_BYTES,
  map,
  pipeline,
  RunMetrics,
  runPipeline,
  silentLogger,
  sink,
  task,
} from "../engine/pipeline/mod.ts";
import { loadPipeline } from "../cli/load.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { main } from "../cli/main.ts";
import { EXIT } from "../cli/exit_codes.ts";
import { parsePipelineConfig } from "../engine/config/mod.ts";
import { parseSize, SizeError } from "../engine/config/size.ts";
import { at, catalog, only } from "./support/config_fixtures.ts";
import { startServer, type TestServer } from "./support/http_server.ts";
import { makePng } from "./support/png_image.ts";
import { readMaildir } from "./support/maildir_reader.ts";

const quiet = { logger: silentLogger, measureLag: false };
const KB = 1024;

interface Blob {
  id: number;
  bytes: Uint8Array;
}
const blobs = (n: number, size: number): Blob[] =>
  Array.from({ length: n }, (_, id) => ({ id, bytes: new Uint8Array(size) }));
const weigh = (b: Blob) => b.bytes.byteLength;
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));
/** Resolves once every pending microtask (promise continuation) has run. */
const afterMicrotasks = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Source (100 KB items) -> grow (150 KB items, 8 at once) -> a slow sink; what it delivered, the summary. */
async function growRun(maxMemory: number) {
  const delivered: number[] = [];
  const p = pipeline(fromIterable(blobs(40, 100 * KB), { bytesOf: weigh }))
    .pipe(
      map((b: Blob) => ({ id: b.id, bytes: new Uint8Array(150 * KB) }), { concurrency: 8, bytesOf: weigh }),
    )
    .to(sink(async (b: Blob) => {
      await tick();
      delivered.push(b.id);
    }, { concurrency: 2 }));
  return { delivered, summary: await runPipeline(p, { ...quiet, maxMemory }) };
}

describe("memory budget: the engine", () => {
  test("bytes in flight stay within the budget (one item per stage over at most); unbounded they do not", async () => {
    const limit = 500 * KB;
    const { delivered, summary } = await growRun(limit);
    assert.equal(summary.ok, true);
    assert.equal(delivered.length, 40);
    const m = summary.metrics.memory;
    assert.equal(m.limit, limit);
    assert.ok(m.highWater <= limit + 100 * KB + 150 * KB, `high water ${m.highWater}`);
    assert.ok(m.highWater >= 150 * KB, "items were counted");
    assert.equal(m.held, 0);
    // The same run with a budget it never reaches holds several times as much: the budget did the bounding.
    const free = await growRun(1024 * 1024 * KB);
    assert.equal(free.delivered.length, 40);
    assert.ok(free.summary.metrics.memory.highWater > 2 * limit, `${free.summary.metrics.memory.highWater}`);
  });

  test("an item larger than the whole budget goes through, one at a time, and nothing deadlocks", async () => {
    const { delivered, summary } = await growRun(10 * KB);
    assert.equal(summary.ok, true);
    assert.equal(delivered.length, 40);
    assert.ok(summary.metrics.memory.highWater <= 100 * KB + 150 * KB, `${summary.metrics.memory.highWater}`);
    assert.equal(summary.metrics.memory.held, 0);
  });

  test("dropped and dead-lettered items give their bytes back", async () => {
    const letters = chan<DeadLetter>(100);
    const delivered: number[] = [];
    const p = pipeline(fromIterable(blobs(30, 50 * KB), { bytesOf: weigh }))
      .pipe(map((b: Blob) => {
        if (b.id % 3 === 0) throw new Error(`bad ${b.id}`);
        return { id: b.id, bytes: new Uint8Array(60 * KB) };
      }, { concurrency: 4, onError: "drop", bytesOf: weigh }))
      .pipe(map((b: Blob) => {
        if (b.id % 5 === 0) throw new Error(`worse ${b.id}`);
        return b; // handed on as it is: its bytes stay held by it
      }, { concurrency: 4, onError: "dead-letter", deadLetter: letters }))
      .to(sink((b: Blob) => void delivered.push(b.id)));
    const summary = await runPipeline(p, { ...quiet, maxMemory: 200 * KB });
    letters.close();
    assert.equal(summary.failures.length, 10 + 4);
    assert.equal(delivered.length, 30 - 14);
    assert.equal(summary.metrics.memory.held, 0);
    assert.ok(summary.metrics.memory.highWater <= 200 * KB + 50 * KB + 60 * KB);
  });

  test("an aborted run leaves nothing held: items in flight, queued and waiting for the budget", async () => {
    // A run that aborts returns without waiting for handlers still running (here the sink's other call):
    // each gives its item's bytes back when it returns. `idle` resolves when none is running any more.
    let running = 0;
    let aborted = false;
    let idle!: () => void;
    const allReturned = new Promise<void>((resolve) => (idle = resolve));
    const p = pipeline(fromIterable(blobs(100, 40 * KB), { bytesOf: weigh }))
      .pipe(
        map((b: Blob) => ({ id: b.id, bytes: new Uint8Array(40 * KB) }), { concurrency: 4, bytesOf: weigh }),
      )
      .to(sink(async (b: Blob) => {
        running++;
        try {
          await tick();
          if (b.id === 10) throw new Error("the mailbox is gone");
        } finally {
          running--;
          if (aborted && running === 0) idle();
        }
      }, { concurrency: 2, onError: "fail" }));
    const metrics = new RunMetrics();
    const summary = await runPipeline(p, { ...quiet, maxMemory: 300 * KB, metrics });
    assert.equal(summary.aborted, true);
    aborted = true;
    if (running === 0) idle();
    await allReturned;
    await afterMicrotasks(); // the runner's continuation of the handler that returned last
    assert.equal(metrics.snapshot().memory.held, 0);
  });
});

describe("memory budget: a small one keeps CPU stages on the loop", () => {
  const doubled = () =>
    pipeline(fromIterable([1, 2, 3]))
      .pipe(
        task<number, number>({
          module: new URL("./fixtures/pool_tasks.ts", import.meta.url),
          export: "double",
        }, {
          name: "double",
          placement: "pool",
        }),
      )
      .to(sink(() => {}));
  const placementOf = (metrics: RunMetrics) =>
    metrics.snapshot().stages.find((s) => s.name === "double")?.placement;

  test("below 192 MiB a pool stage runs on the loop under Deno (one V8 heap); at or above it, or when asked not to, on the pool", async () => {
    assert.ok(128 * KB * KB < LOOP_ONLY_BELOW_BYTES && 256 * KB * KB >= LOOP_ONLY_BELOW_BYTES);
    const small = new RunMetrics();
    assert.equal(
      (await runPipeline(doubled(), { ...quiet, maxMemory: 128 * KB * KB, metrics: small })).ok,
      true,
    );
    assert.equal(placementOf(small), runtime.name === "deno" ? "loop" : "pool");
    const asked = new RunMetrics();
    const onLoop = { ...quiet, maxMemory: 128 * KB * KB, smallBudgetOnLoop: true, metrics: asked };
    assert.equal((await runPipeline(doubled(), onLoop)).ok, true);
    assert.equal(placementOf(asked), "loop");
    const large = new RunMetrics();
    assert.equal(
      (await runPipeline(doubled(), { ...quiet, maxMemory: 256 * KB * KB, metrics: large })).ok,
      true,
    );
    assert.equal(placementOf(large), "pool");
    const kept = new RunMetrics();
    const options = { ...quiet, maxMemory: 128 * KB * KB, smallBudgetOnLoop: false, metrics: kept };
    assert.equal((await runPipeline(doubled(), options)).ok, true);
    assert.equal(placementOf(kept), "pool");
  });
});

/**
 * Runs a pipeline of one item that waits until `signal` (given to the run's `options`) was first called, so
 * the run cannot end before it; the run's timers never keep a process alive, so a timer here does until
 * the run is over.
 */
async function runUntilFirstCall(
  options: (signal: () => void) => Parameters<typeof runPipeline>[1],
): Promise<Awaited<ReturnType<typeof runPipeline>>> {
  let called!: () => void;
  const first = new Promise<void>((resolve) => called = resolve);
  const p = pipeline(fromIterable([1]))
    .pipe(map(async (x: number) => (await first, x)))
    .to(sink(() => {}));
  const keepAlive = setInterval(() => {}, 1000);
  return await runPipeline(p, options(() => called())).finally(() => clearInterval(keepAlive));
}

describe("memory budget: the run collects garbage while it goes on", () => {
  test("the run calls the full collection (Bun's Bun.gc(true), every 500 ms below 192 MiB); Deno has none", async () => {
    assert.equal(typeof runtime.collectNow === "function", runtime.name === "bun");
    let calls = 0;
    // The first collection comes 500 ms in.
    const summary = await runUntilFirstCall((collected) => ({
      ...quiet,
      maxMemory: 128 * KB * KB,
      collect: () => {
        calls++;
        collected();
      },
    }));
    assert.equal(summary.ok, true);
    assert.ok(calls >= 1);
  });

  test("below 192 MiB the run hands freed memory back to the system (Deno: malloc_trim); Bun has none", async () => {
    assert.equal(typeof runtime.releaseFreedMemory === "function", runtime.name === "deno");
    // The first release comes 2 s in.
    const summary = await runUntilFirstCall((released) => ({
      ...quiet,
      maxMemory: 128 * KB * KB,
      collect: false,
      releaseFreedMemory: released,
    }));
    assert.equal(summary.ok, true);
  });

  test("without a small budget the run collects while its resident memory is above the mark", async () => {
    // The first collection comes a second in: a mark of 0 is always passed.
    const summary = await runUntilFirstCall((collected) => ({
      ...quiet,
      collect: collected,
      collectAboveRss: 0,
    }));
    assert.equal(summary.ok, true);
  });
});

describe("memory budget: the settings", () => {
  const yaml = (memory: string) => `name: m\nmemory: ${memory}\nstages:\n  - use: feeds\n`;

  test("sizes: bytes, KB/MB/GB in powers of 1024, any case, decimals; nothing else", () => {
    assert.equal(parseSize("4096"), 4096);
    assert.equal(parseSize(4096), 4096);
    assert.equal(parseSize("512KB"), 512 * KB);
    assert.equal(parseSize("128MB"), 128 * KB * KB);
    assert.equal(parseSize("128 mib"), 128 * KB * KB);
    assert.equal(parseSize("1.5G"), 1.5 * KB * KB * KB);
    for (const bad of ["", "lots", "0", "-5MB", "12 parsecs", "1TB"]) {
      assert.throws(() => parseSize(bad), SizeError, bad);
    }
  });

  test("`memory:` in the YAML is read as bytes; a bad one is reported at its line and column", async () => {
    const spec = await parsePipelineConfig(yaml("96MB"), "x.yaml", { env: {}, catalog });
    assert.equal(spec.memory, 96 * KB * KB);
    const fromVariable = await parsePipelineConfig(yaml("${MEM}"), "x.yaml", { env: { MEM: "1g" }, catalog });
    assert.equal(fromVariable.memory, KB * KB * KB);
    const e = await only(yaml("lots"));
    assert.equal(e.code, "E_CONFIG_BAD_SIZE");
    assert.equal(at(e), "2:9");
    assert.match(e.hint ?? "", /128MB/);
  });

  test("`--max-memory` that is not a size is a usage error", async () => {
    assert.equal(await main(["run", "pipelines/rss2imap.yaml", "--max-memory", "lots"]), EXIT.USAGE);
  });
});

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");
const ENTRIES = 12;
const IMAGE_BYTES = 200 * KB;

describe("memory budget: rss2imap's stages with large images", () => {
  let server: TestServer;
  let dir = "";
  const images = Array.from({ length: ENTRIES }, (_, i) => makePng(`big:${i}`, IMAGE_BYTES));
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-memory-"));
    const items = images.map((_, i) =>
      `<item><title>Entry ${i}</title><link>${"LINK"}/post/${i}</link><guid>e${i}</guid>` +
      `<description><![CDATA[<p>Entry ${i}</p><img src="/img/${i}.png">]]></description></item>`
    ).join("");
    const routes: Parameters<typeof startServer>[0] = {};
    images.forEach((png, i) => {
      routes[`/img/${i}.png`] = (_req, res) =>
        void res.writeHead(200, { "content-type": "image/png" }).end(png);
    });
    server = await startServer(routes);
    const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>` +
      `<link>${server.origin}/</link>${items.replaceAll("LINK", server.origin)}</channel></rss>`;
    server.route(
      "/feed.xml",
      (_req, res) => void res.writeHead(200, { "content-type": "application/rss+xml" }).end(rss),
    );
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const runWith = async (name: string, maxMemory: number) => {
    const { pipeline } = await loadPipeline(yamlFile, {
      FEEDS: server.url("/feed.xml"),
      MAILDIR: path.join(dir, name, "mail"),
      STATE_DIR: path.join(dir, name, "state"),
    });
    const summary = await runPipeline(pipeline, { ...quiet, maxMemory });
    const stored = await readMaildir(path.join(dir, name, "mail"));
    return { summary, stored };
  };

  for (const [name, limit] of [["bounded", 1024 * KB], ["smaller than one image", 64 * KB]] as const) {
    test(`every entry arrives, and the bytes in flight stay within a budget ${name}`, async () => {
      const { summary, stored } = await runWith(name.replaceAll(" ", "-"), limit);
      assert.equal(summary.ok, true, JSON.stringify(summary.failures));
      assert.equal(stored.length, ENTRIES);
      const largest = Math.max(...stored.map((s) => s.raw.byteLength));
      assert.ok(largest > IMAGE_BYTES, "each message carries its image");
      const m = summary.metrics.memory;
      // Over the budget by at most one item for each stage that weighs what it emits (fetch,
      // rewrite-images, mime), each at most as large as the largest message.
      assert.ok(m.highWater <= limit + 3 * largest, `high water ${m.highWater}, limit ${limit}`);
      assert.ok(m.highWater >= largest, "messages were counted");
      assert.equal(m.held, 0);
    });
  }
});
