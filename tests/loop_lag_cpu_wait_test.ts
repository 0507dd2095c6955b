/**
 * The event-loop lag less the loop thread's wait for a CPU: the reader of Linux's per-thread schedstat, the
 * heartbeat that subtracts the wait that fell into each beat, and the run summary that reports both.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { threadCpuWaitReader } from "../engine/placement/cpu_wait.ts";
import { startLoopLagMonitor } from "../engine/placement/loop_lag.ts";
import { fromIterable, pipeline, runPipeline, sink } from "../engine/pipeline/mod.ts";
import { summaryText } from "../cli/summary.ts";

/** Burns the CPU for `ms` milliseconds (holds the loop, as a long task does). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

/** A lag monitor with a 10 ms heartbeat and a way to wait for its next beat. */
function monitorWith(cpuWaitMs?: () => number) {
  let next: (() => void) | undefined;
  const monitor = startLoopLagMonitor({ intervalMs: 10, cpuWaitMs, onSample: () => next?.() });
  return { monitor, beat: () => new Promise<void>((resolve) => (next = resolve)) };
}

describe("threadCpuWaitReader", () => {
  test("reads the wait (second field, ns) of a schedstat file in ms, and keeps the last figure if it goes", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-schedstat-"));
    try {
      const file = path.join(dir, "schedstat");
      await writeFile(file, "987654321 4500000 12\n");
      const waited = threadCpuWaitReader(file)!;
      assert.equal(waited(), 4.5);
      await writeFile(file, "987654321 9000000 13\n");
      assert.equal(waited(), 9);
      await rm(file);
      assert.equal(waited(), 9, "a file that went away makes up no wait");
      assert.equal(threadCpuWaitReader(path.join(dir, "missing")), undefined);
      await writeFile(file, "no figures here\n");
      assert.equal(threadCpuWaitReader(file), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("on Linux it reads this thread's own wait, which never goes down", () => {
    if (!existsSync("/proc/thread-self/schedstat")) return;
    const waited = threadCpuWaitReader()!;
    const first = waited();
    busy(5);
    assert.ok(Number.isFinite(first) && waited() >= first);
  });
});

describe("startLoopLagMonitor with cpuWaitMs", () => {
  test("a beat late only because the thread waited for a CPU counts as not late", async () => {
    // The (fake) scheduler says the thread waited 10 s for a core between any two readings.
    let waitedMs = 0;
    const { monitor, beat } = monitorWith(() => (waitedMs += 10_000));
    // The heartbeat is unref'ed on purpose; this ref'ed timer keeps Deno's test loop alive meanwhile.
    const keepAlive = setTimeout(() => {}, 60_000);
    try {
      await beat();
      busy(60); // the loop is held while the next heartbeat is due, but (says the scheduler) not by us
      await beat();
      const stats = monitor.snapshot();
      assert.ok(stats.max >= 40, `max ${stats.max}`);
      assert.equal(stats.withoutCpuWait?.max, 0);
    } finally {
      clearTimeout(keepAlive);
      monitor.stop();
    }
  });

  test("without any wait, the lag less the wait is the lag", async () => {
    const { monitor, beat } = monitorWith(() => 42);
    const keepAlive = setTimeout(() => {}, 60_000);
    try {
      await beat();
      busy(60); // a long task of the run's own
      await beat();
      const stats = monitor.stop();
      assert.ok(stats.max >= 40, `max ${stats.max}`);
      assert.deepEqual(stats.withoutCpuWait, { p50: stats.p50, p99: stats.p99, max: stats.max });
    } finally {
      clearTimeout(keepAlive);
      monitor.stop();
    }
  });

  test("without a reader there is no such figure", () => {
    const { monitor } = monitorWith();
    assert.equal(monitor.stop().withoutCpuWait, undefined);
  });
});

describe("the run summary", () => {
  test("reports the lag less the CPU wait where the wait can be read (Linux)", async () => {
    const seen: number[] = [];
    const summary = await runPipeline(
      pipeline(fromIterable([1, 2, 3])).to(sink((n: number) => void seen.push(n))),
    );
    assert.deepEqual(seen, [1, 2, 3]);
    const text = summaryText(summary);
    if (threadCpuWaitReader()) {
      assert.ok(summary.metrics.lag.withoutCpuWait, "the figures are in the metrics");
      assert.match(
        text,
        /event-loop lag p50 .*; less the thread's wait for a CPU: p50 [\d.]+ ms, p99 [\d.]+ ms/,
      );
    } else {
      assert.equal(summary.metrics.lag.withoutCpuWait, undefined);
      assert.doesNotMatch(text, /less the thread's wait/);
    }
  });
});
