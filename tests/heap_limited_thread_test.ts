/**
 * Heap-limited threads (Deno): a run's thread and the pool's workers get a young generation of a few MB,
 * sized from inside the program; Bun offers neither (JavaScriptCore ignores `resourceLimits`).
 */
import { after, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { runtime } from "../engine/runtime/mod.ts";
import { WorkerPool } from "../engine/kernel/worker_pool.ts";
import { POOL_WORKER_ENTRY, POOL_WORKER_YOUNG_GENERATION_MB } from "../engine/kernel/pool_worker_spec.ts";

const MB = 1024 * 1024;

/**
 * What the pool fixture saw in the thread: its tasks ran (a result, a moved buffer), a crashed worker was
 * reported and replaced, and the worker's young generation stayed within its limit.
 */
function assertPoolRanInThread(seen: Record<string, unknown> & { youngGenerationBytes: number }): void {
  assert.deepEqual(
    [seen.double, seen.length, seen.movedAway, seen.crash, seen.afterCrash],
    [42, 1000, true, "WorkerCrashedError", 4],
  );
  assert.ok(
    seen.youngGenerationBytes > 0 && seen.youngGenerationBytes <= 8 * MB,
    String(seen.youngGenerationBytes),
  );
}

describe("heap-limited threads", () => {
  const pools: WorkerPool[] = [];
  let dir = "";
  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("only Deno offers them", () => {
    assert.equal(typeof runtime.runHeapLimited === "function", runtime.name === "deno");
    assert.equal(typeof runtime.startHeapLimitedWorker === "function", runtime.name === "deno");
  });

  test("a thread gets its arguments and young generation, and its exit code comes back", async () => {
    if (!runtime.runHeapLimited) return;
    dir = await mkdtemp(path.join(tmpdir(), "sluice-heap-"));
    const out = path.join(dir, "out.json");
    const entry = new URL("./fixtures/heap_limited_entry.ts", import.meta.url);
    const code = await runtime.runHeapLimited(entry, [out, "7"], {
      youngGenerationMb: 4,
      oldGenerationMb: 256,
    });
    assert.equal(code, 7);
    const seen = JSON.parse(await readFile(out, "utf8"));
    assert.deepEqual(seen.argv, [out, "7"]);
    assert.ok(
      seen.youngGenerationBytes > 0 && seen.youngGenerationBytes <= 4 * MB,
      String(seen.youngGenerationBytes),
    );
  });

  test("a pool in a thread runs tasks, moves buffers and replaces a crashed worker", async () => {
    if (!runtime.runHeapLimited) return;
    dir ||= await mkdtemp(path.join(tmpdir(), "sluice-heap-"));
    const out = path.join(dir, "pool.json");
    const entry = new URL("./fixtures/heap_limited_pool_entry.ts", import.meta.url);
    const code = await runtime.runHeapLimited(entry, [out], { youngGenerationMb: 4 });
    assert.equal(code, 3);
    const seen = JSON.parse(await readFile(out, "utf8"));
    assert.equal(seen.error, undefined);
    assertPoolRanInThread(seen);
  });

  test("the pool's first worker, started by the main thread for the thread, runs its tasks there", async () => {
    if (!runtime.runHeapLimited) return;
    dir ||= await mkdtemp(path.join(tmpdir(), "sluice-heap-"));
    const out = path.join(dir, "handed.json");
    const entry = new URL("./fixtures/heap_limited_pool_entry.ts", import.meta.url);
    const code = await runtime.runHeapLimited(entry, [out, "handed"], { youngGenerationMb: 4 }, {
      entry: POOL_WORKER_ENTRY,
      limits: { youngGenerationMb: POOL_WORKER_YOUNG_GENERATION_MB },
    });
    assert.equal(code, 3);
    const seen = JSON.parse(await readFile(out, "utf8"));
    assert.equal(seen.error, undefined);
    // The thread found the worker and the pool took it: it did not start one of its own.
    assert.deepEqual([seen.handed, seen.taken], [true, true]);
    // A worker that exits is reported to the thread (over its port and by the main thread) and replaced.
    assertPoolRanInThread(seen);
  });

  test("a thread whose entry throws ends with code 1", async () => {
    if (!runtime.runHeapLimited) return;
    const entry = new URL("./fixtures/heap_limited_entry.ts", import.meta.url);
    const code = await runtime.runHeapLimited(entry, ["throw"], { youngGenerationMb: 4 });
    assert.equal(code, 1);
  });

  test("the pool's workers keep their young generation at 8 MB by default, V8's default with 0", async () => {
    const task = {
      module: new URL("./fixtures/pool_tasks.ts", import.meta.url),
      export: "youngGenerationBytes",
    };
    const sized = new WorkerPool({ size: 1 });
    const plain = new WorkerPool({ size: 1, youngGenerationMb: 0 });
    pools.push(sized, plain);
    // Enough allocation to grow an unlimited young generation past 8 MB.
    const grow = { module: new URL("./fixtures/pool_tasks.ts", import.meta.url), export: "allocate" };
    await sized.run(grow, [3_000_000]);
    await plain.run(grow, [3_000_000]);
    const [small, large] = [await sized.run<number>(task, []), await plain.run<number>(task, [])];
    if (runtime.name !== "deno") return; // Bun: no V8 heap spaces to read
    assert.ok(small > 0 && small <= 8 * MB, String(small));
    assert.ok(large > 8 * MB, String(large));
  });
});
