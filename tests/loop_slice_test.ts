/**
 * Cooperative yielding: a burst of items through loop stages lets timers and I/O run every few
 * milliseconds instead of holding the event loop until the burst is over.
 * @module
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { setTimeout as setNodeTimeout } from "node:timers";
import { fromIterable, map, pipeline, runPipeline, silentLogger, sink } from "../engine/pipeline/mod.ts";
import { yieldWhenBusy } from "../engine/placement/loop_slice.ts";

/** Keeps the thread busy for `ms` (the CPU work of one item). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
}

describe("yieldWhenBusy", () => {
  test("a timer due during a burst of 1 ms items fires long before the burst ends", async () => {
    let done = 0;
    let doneWhenTimerFired = -1;
    const timerFired = new Promise<void>((resolve) =>
      setNodeTimeout(() => {
        doneWhenTimerFired = done;
        resolve();
      }, 0)
    );
    const p = pipeline(fromIterable(Array.from({ length: 150 }, (_, i) => i)))
      .pipe(map((n: number) => (spin(1), n)))
      .to(sink(() => void done++));
    const summary = await runPipeline(p, { logger: silentLogger, measureLag: false });
    await timerFired;
    assert.equal(summary.ok, true);
    assert.equal(done, 150);
    // The budget is 6 ms a task: the timer runs after a handful of items, not after all 150.
    assert.ok(
      doneWhenTimerFired >= 0 && doneWhenTimerFired < 50,
      `timer fired after ${doneWhenTimerFired} items`,
    );
  });

  test("gives nothing to wait for while the task is within its budget", () => {
    // Five calls in one task, well within a 1 s budget: none of them yields (no promise to await).
    for (let i = 0; i < 5; i++) assert.equal(yieldWhenBusy(1000), undefined);
  });
});
