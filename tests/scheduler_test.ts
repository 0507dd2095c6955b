/**
 * The scheduler's measurements: the `auto` placement decision (a CPU-heavy stage moves to the pool, a
 * light one stays, a single outlier does not move it) and the event-loop heartbeat (sees a block, stops
 * cleanly, never keeps the process alive).
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { AutoPlacement, measureBlocking } from "../engine/placement/auto_placement.ts";
import { startLoopLagMonitor } from "../engine/placement/loop_lag.ts";
import { runtime } from "../engine/runtime/mod.ts";

/** A fake stage that burns the CPU for `ms` milliseconds. */
function busy(ms: number): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

describe("AutoPlacement", () => {
  test("a CPU-heavy stage moves to the pool after sampleItems items", () => {
    const auto = new AutoPlacement({ sampleItems: 4, thresholdMs: 5 });
    for (let i = 0; i < 3; i++) {
      auto.record(measureBlocking(() => busy(8)).blockingMs);
      assert.equal(auto.decided, undefined, "still sampling");
    }
    auto.record(measureBlocking(() => busy(8)).blockingMs);
    assert.equal(auto.decided, "pool");
    assert.ok((auto.medianMs ?? 0) >= 8);
  });

  test("a light stage stays on the loop, and the decision does not change afterwards", () => {
    const auto = new AutoPlacement();
    for (let i = 0; i < 8; i++) auto.record(measureBlocking(() => JSON.parse('{"a":[1,2,3]}')).blockingMs);
    assert.equal(auto.decided, "loop");
    for (let i = 0; i < 8; i++) auto.record(50);
    assert.equal(auto.decided, "loop");
  });

  test("one slow item (warm-up, a GC) among light ones does not move the stage", () => {
    const auto = new AutoPlacement({ sampleItems: 8, thresholdMs: 5 });
    auto.record(40);
    for (let i = 0; i < 7; i++) auto.record(0.2);
    assert.equal(auto.decided, "loop");
  });

  test("measureBlocking returns the result and the time the call held the thread", () => {
    const { result, blockingMs } = measureBlocking(() => busy(12));
    assert.ok(result > 0);
    assert.ok(blockingMs >= 12 && blockingMs < 1000, `${blockingMs} ms`);
  });
});

describe("startLoopLagMonitor", () => {
  test("a blocked loop shows up as a late heartbeat", async () => {
    let next: (() => void) | undefined;
    const lags: number[] = [];
    const monitor = startLoopLagMonitor({
      intervalMs: 10,
      onSample: (lag) => {
        lags.push(lag);
        next?.();
      },
    });
    const beat = () => new Promise<void>((resolve) => (next = resolve));
    // The heartbeat is unref'ed on purpose; this ref'ed timer keeps Deno's test loop alive meanwhile.
    const keepAlive = setTimeout(() => {}, 60_000);
    try {
      await beat(); // the heartbeat runs and is re-armed
      busy(80); // blocks the loop while the next heartbeat is due
      await beat();
      const stats = monitor.snapshot();
      assert.ok(lags[lags.length - 1] >= 60, `last lag ${lags[lags.length - 1]} ms`);
      assert.ok(stats.max >= 60, `max ${stats.max}`);
      assert.equal(stats.samples, lags.length);
      assert.ok(stats.p50 <= stats.p99 && stats.p99 <= stats.max);
    } finally {
      clearTimeout(keepAlive);
      const final = monitor.stop();
      assert.equal(final.samples, lags.length);
      assert.equal(monitor.stop().samples, final.samples, "stop twice is harmless");
    }
  });

  test("a running monitor does not keep the process alive", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-lag-"));
    try {
      const script = path.join(dir, "never_stopped.ts");
      const monitorUrl = new URL("../engine/placement/loop_lag.ts", import.meta.url).href;
      await writeFile(
        script,
        `import { startLoopLagMonitor } from ${JSON.stringify(monitorUrl)};\n` +
          `startLoopLagMonitor({ intervalMs: 10 });\nconsole.log("started");\n`,
      );
      const args = runtime.name === "bun" ? [script] : ["run", "-A", script];
      // The bound is the proof: a process the monitor kept alive is killed after 60 s and fails the test.
      const out = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          args,
          { timeout: 60_000 },
          (err, stdout) =>
            err
              ? reject(new Error(`the process did not exit by itself within 60 s: ${err.message}`))
              : resolve(stdout),
        );
      });
      assert.equal(out.trim(), "started");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
