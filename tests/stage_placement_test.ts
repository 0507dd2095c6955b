/**
 * Placement and stage settings of the built-in stages are real or refused: every built-in declares where
 * it can run; a placement it cannot take, or a setting it cannot honour (`retry` on a source or on
 * `write`), fails `check` at its position with the reason; a placement it can take moves the work
 * (`parse` and `mime` on the loop send nothing to the worker pool, on the pool they send every item;
 * `parse` is on the pool and `mime` on the loop by default).
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  buildPipeline,
  ConfigErrors,
  loadPipelineConfig,
  parsePipelineConfig,
} from "../engine/config/mod.ts";
import { type PoolRunOptions, type PoolTask, WorkerPool } from "../engine/kernel/worker_pool.ts";
import { runPipeline, silentLogger } from "../engine/pipeline/mod.ts";
import { builtinStages } from "../stages/registry.ts";
import { ENTRIES, FEEDS } from "./fixtures/feed_items.ts";
import { collected } from "./fixtures/item_functions.ts";

const feedItems = fileURLToPath(new URL("./fixtures/feed_items.ts", import.meta.url));
const itemFunctions = fileURLToPath(new URL("./fixtures/item_functions.ts", import.meta.url));

/** A pool that counts the tasks it is given: work a stage sends off the main thread shows up here. */
class CountingPool extends WorkerPool {
  tasks: string[] = [];
  /** What `hasLoaded` answers: a worker that started long ago (default), or one still starting. */
  loaded = true;
  override hasLoaded(): boolean {
    return this.loaded;
  }
  override run<R>(task: PoolTask, args?: unknown[], options?: PoolRunOptions): Promise<R> {
    this.tasks.push(task.export);
    return super.run<R>(task, args, options);
  }
}

let dir = "";
let pool: CountingPool;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-placement-"));
  pool = new CountingPool({ size: 1 });
});
after(async () => {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
});

async function configErrors(text: string): Promise<ConfigErrors> {
  const e = await parsePipelineConfig(text, "p.yaml", { env: () => undefined, catalog: builtinStages() })
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  assert.ok(e instanceof ConfigErrors, `expected config errors, got ${e}`);
  return e;
}

describe("built-in stages and placement", () => {
  test("every built-in stage declares the placements it honours", () => {
    const registry = builtinStages();
    for (const name of registry.names()) {
      const entry = registry.get(name)!;
      for (const options of [{}, { module: "./f.ts#f" }, { url: "imap://u:p@h" }]) {
        const facts = { ...entry, ...entry.forOptions?.(options) };
        assert.ok(facts.placements && facts.placements.length > 0, `${name} declares no placements`);
        assert.ok(
          facts.placementNote || facts.placements.length === 5,
          `${name} says not why it cannot move`,
        );
      }
    }
  });

  test("a placement a built-in cannot take fails check at its position, with the reason and the choices", async () => {
    const e = await configErrors(`stages:
  - use: feeds
  - use: fetch
    placement: pool
  - use: parse
    placement: process
  - use: dedupe
  - use: rewrite-images
    placement: owner
  - use: mime
    placement: owner
  - use: upload-imap
    placement: loop
    with: { url: "imap://u:p@127.0.0.1:1143" }
`);
    const placement = e.errors.filter((x) => x.code === "E_CONFIG_PLACEMENT");
    assert.deepEqual(placement.map((x) => `${x.pos.line}:${x.pos.column}`), [
      "4:16",
      "6:16",
      "9:16",
      "11:16",
      "13:16",
    ]);
    assert.match(
      placement[0].message,
      /p\.yaml:4:16: stage `fetch` cannot run with `placement: pool`: .*network I\/O/,
    );
    assert.equal(placement[0].hint, "use one of `loop`, or remove `placement:`");
    assert.match(placement[1].reason, /parsing is CPU work/);
    assert.equal(placement[1].hint, "use one of `pool`, `loop`, `auto`, or remove `placement:`");
    assert.equal(placement[2].hint, "use one of `auto`, `loop`, `pool`, or remove `placement:`");
    assert.equal(placement[3].hint, "use one of `loop`, `pool`, `auto`, or remove `placement:`");
    assert.match(placement[4].reason, /one command at a time: each connection has a single owner/);
    assert.equal(placement[4].hint, "use one of `owner`, or remove `placement:`");
  });

  test("mailbox takes the placement of the sink its options pick", async () => {
    const e = await configErrors(`stages:
  - use: ${itemFunctions}#oneToTen
  - use: mailbox
    placement: owner
    with: { maildir: ./mail }
  - use: mailbox
    placement: loop
    with: { url: "imap://u:p@127.0.0.1:1143" }
`);
    const placement = e.errors.filter((x) => x.code === "E_CONFIG_PLACEMENT");
    assert.deepEqual(placement.map((x) => `${x.pos.line}:${x.pos.column}`), ["4:16", "7:16"]);
    assert.match(placement[0].reason, /writes files on the event loop/);
    assert.match(placement[1].reason, /single owner/);
  });

  test("settings a stage cannot honour fail check at the key: on a source, and on write", async () => {
    const e = await configErrors(`stages:
  - use: read
    with: { path: in.jsonl }
    retry: 3
    concurrency: 4
  - use: map
    with: { expr: item }
    retry: 3
    on-error: drop
  - use: write
    with: { path: out.jsonl }
    on-error: dead-letter
    dead-letter: ./failed.jsonl
    retry: { attempts: 2 }
    timeout: 5s
`);
    const noEffect = e.errors.filter((x) => x.code === "E_CONFIG_NO_EFFECT");
    assert.deepEqual(
      noEffect.map((x) => `${x.pos.line}:${x.pos.column}`),
      ["4:5", "5:5", "12:5", "13:5", "14:5", "15:5"],
      e.format(),
    );
    assert.match(noEffect[0].message, /p\.yaml:4:5: `retry` has no effect on stage `read`: it is a source/);
    assert.match(noEffect[0].hint ?? "", /put `retry:` on the stage after it/);
    assert.match(noEffect[2].reason, /`on-error` has no effect on stage `write`: no record fails on its own/);
    assert.match(noEffect[2].hint ?? "", /`on-error: dead-letter`/);
    assert.match(
      noEffect[4].reason,
      /`retry` has no effect on stage `write`: .*a failed write stops the run/,
    );
  });
});

describe("a placement a built-in takes moves its work", () => {
  async function runFeeds(name: string, parse: string, mime: string) {
    const file = path.join(dir, `${name}.yaml`);
    await writeFile(
      file,
      `name: ${name}
stages:
  - use: ${feedItems}#fetchedFeeds
  - use: parse
${parse}  - use: ${feedItems}#entriesOf
  - use: mime
${mime}  - use: ${itemFunctions}#collect
`,
    );
    const registry = builtinStages();
    const spec = await loadPipelineConfig(file, { catalog: registry, env: () => undefined });
    collected.length = 0;
    pool.tasks.length = 0;
    const summary = await runPipeline(buildPipeline(spec, registry), {
      logger: silentLogger,
      measureLag: false,
      pool,
    });
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    assert.equal(collected.length, FEEDS * ENTRIES);
    const stageOf = (stage: string) => summary.metrics.stages.find((s) => s.name === stage);
    return {
      tasks: [...pool.tasks].sort(),
      parse: stageOf("parse")?.placement,
      mime: stageOf("mime")?.placement,
      onLoopBeforePool: [stageOf("parse"), stageOf("mime")].map((s) => s?.counters.onLoopBeforePool ?? 0),
    };
  }

  test("by default parse sends every feed to the worker pool and mime composes on the loop", async () => {
    const run = await runFeeds("default", "", "");
    assert.deepEqual(run.tasks, Array(FEEDS).fill("parseFetchedTask"));
    assert.deepEqual([run.parse, run.mime], ["pool", "loop"]);
  });

  test("placement: pool sends every entry to the worker pool", async () => {
    const run = await runFeeds("pool", "", "    placement: pool\n");
    assert.equal(run.tasks.filter((t) => t === "parseFetchedTask").length, FEEDS);
    assert.equal(run.tasks.filter((t) => t === "composeMessageTask").length, FEEDS * ENTRIES);
    assert.deepEqual([run.parse, run.mime], ["pool", "pool"]);
  });

  test("on the pool, parse and mime keep their items on the loop until a worker has loaded their module", async () => {
    pool.loaded = false;
    try {
      const run = await runFeeds("starting", "", "    placement: pool\n");
      assert.deepEqual(run.tasks, [], "the pool's worker is still starting: nothing waits for it");
      assert.deepEqual([run.parse, run.mime], ["pool", "pool"]);
      assert.deepEqual(run.onLoopBeforePool, [FEEDS, FEEDS * ENTRIES]);
    } finally {
      pool.loaded = true;
    }
  });

  test("placement: loop keeps parse and mime on the main thread: the pool gets nothing", async () => {
    const run = await runFeeds("loop", "    placement: loop\n", "    placement: loop\n");
    assert.deepEqual(run.tasks, []);
    assert.deepEqual([run.parse, run.mime], ["loop", "loop"]);
  });

  test("each stage moves on its own: parse on the loop, mime on the pool", async () => {
    const run = await runFeeds("mixed", "    placement: loop\n", "    placement: pool\n");
    assert.deepEqual(run.tasks, Array(FEEDS * ENTRIES).fill("composeMessageTask"));
    assert.deepEqual([run.parse, run.mime], ["loop", "pool"]);
  });
});
