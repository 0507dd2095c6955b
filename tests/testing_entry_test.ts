/**
 * testing.ts, the helpers a user tests their own stages with: `runStage` runs one stage under the real
 * runner (outputs in arrival order, failures in the summary), `collectInto` keeps what a pipeline emits.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { filter, flatMap, map, pipeline, runPipeline, silentLogger, sink } from "../mod.ts";
import { collectInto, fromIterable, MemoryStore, runStage } from "../testing.ts";

describe("testing.ts", () => {
  test("runStage returns a transform's outputs and an ok summary", async () => {
    const { outputs, summary } = await runStage(flatMap((s: string) => s.split("")), ["ab", "c"]);
    assert.deepEqual(outputs, ["a", "b", "c"]);
    assert.equal(summary.ok, true);
  });

  test("runStage reports an item that failed for good, with the stage's on-error", async () => {
    const stage = map((n: number) => {
      if (n === 2) throw new Error("two");
      return n;
    }, { name: "picky", onError: "drop" });
    const { outputs, summary } = await runStage(stage, [1, 2, 3]);
    assert.deepEqual(outputs.sort(), [1, 3]);
    assert.equal(summary.ok, false);
    assert.equal(summary.failures.length, 1);
    assert.equal(summary.failures[0].stage, "picky");
  });

  test("runStage runs a sink: no outputs, its effects happen", async () => {
    const seen: number[] = [];
    const { outputs, summary } = await runStage(sink((n: number) => void seen.push(n)), [1, 2]);
    assert.deepEqual(outputs, []);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(summary.ok, true);
  });

  test("collectInto keeps a whole pipeline's output in memory", async () => {
    const kept: number[] = [];
    const p = pipeline(fromIterable([1, 2, 3, 4])).pipe(filter((n: number) => n > 2)).to(collectInto(kept));
    const summary = await runPipeline(p, { logger: silentLogger });
    assert.equal(summary.ok, true);
    assert.deepEqual(kept, [3, 4]);
  });

  test("MemoryStore opens and closes with nothing on disk", async () => {
    const store = new MemoryStore();
    await store.close();
  });
});
