/**
 * The full collections a run asks for under Bun: with a small memory budget `Bun.gc(true)` every 500 ms
 * (`runtime.collectNow`, which also sweeps every block before it returns), otherwise, while its memory is
 * high, one that marks the whole heap and leaves the sweep to JavaScriptCore's incremental sweeper
 * (`runtime.collectSweepingLater`, `bun:jsc`'s `fullGC`): a much shorter pause of the event loop. Deno has
 * neither.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { fromIterable, map, pipeline, runPipeline, silentLogger, sink } from "../engine/pipeline/mod.ts";
import { runtime } from "../engine/runtime/mod.ts";

const quiet = { logger: silentLogger, measureLag: false };

/**
 * Runs a one-item pipeline with `options` until the runtime's `collectNow` or `collectSweepingLater` has
 * been called, and returns how often each was.
 */
async function runUntilCollected(
  options: Parameters<typeof runPipeline>[1],
): Promise<{ now: number; later: number }> {
  const saved = { now: runtime.collectNow, later: runtime.collectSweepingLater };
  const calls = { now: 0, later: 0 };
  let called!: () => void;
  const first = new Promise<void>((resolve) => called = resolve);
  runtime.collectNow = () => {
    calls.now++;
    called();
  };
  runtime.collectSweepingLater = () => {
    calls.later++;
    called();
  };
  const p = pipeline(fromIterable([1]))
    .pipe(map(async (x: number) => (await first, x)))
    .to(sink(() => {}));
  const keepAlive = setInterval(() => {}, 1000);
  try {
    const summary = await runPipeline(p, { ...quiet, ...options });
    assert.equal(summary.ok, true);
    return calls;
  } finally {
    clearInterval(keepAlive);
    runtime.collectNow = saved.now;
    runtime.collectSweepingLater = saved.later;
  }
}

describe("full collection", () => {
  test("under Bun an object nothing reaches is collected by the time collectSweepingLater returns", async () => {
    if (runtime.name !== "bun") return assert.equal(runtime.collectSweepingLater, undefined);
    assert.equal(typeof runtime.collectSweepingLater, "function");
    const made = () => new WeakRef({ payload: new Array(1000).fill("x") });
    const refs = Array.from({ length: 20 }, made);
    // A WeakRef keeps its target alive until the end of the job that made or read it: let that end first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    runtime.collectSweepingLater!();
    // Conservative stack scanning may keep one or two alive; a collection that did not mark keeps all.
    const alive = refs.filter((ref) => ref.deref() !== undefined).length;
    assert.ok(alive < refs.length / 2, `${alive} of ${refs.length} still alive`);
  });

  test("a run without a small budget collects with collectSweepingLater, a small budget with collectNow", async () => {
    // A mark of 0 is always passed: the first collection comes at the first tick, 500 ms in.
    const plain = await runUntilCollected({ collectAboveRss: 0 });
    assert.ok(plain.later >= 1 && plain.now === 0, JSON.stringify(plain));
    // With a small budget the first comes 500 ms in.
    const small = await runUntilCollected({ maxMemory: 128 * 1024 * 1024 });
    assert.ok(small.now >= 1 && small.later === 0, JSON.stringify(small));
  });
});
