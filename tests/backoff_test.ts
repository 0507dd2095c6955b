import assert from "node:assert/strict";
import { describe, test } from "./support/testing.ts";
import { backoffDelay, sleep } from "../engine/kernel/backoff.ts";
import { backoffMs, DEFAULT_BACKOFF } from "../stages/feed_health.ts";

describe("backoffDelay: one formula, retries counted from 1", () => {
  test("the first retry waits the base, each next one twice as long, up to the cap", () => {
    const limits = { baseMs: 100, maxMs: 1000, jitter: false };
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((r) => backoffDelay(r, limits)), [
      100,
      200,
      400,
      800,
      1000,
      1000,
    ]);
  });

  test("jitter scales into [0.5, 1) of the delay", () => {
    assert.equal(backoffDelay(2, { baseMs: 100 }, () => 0), 100);
    assert.equal(backoffDelay(2, { baseMs: 100 }, () => 0.999), 200);
  });

  test("a huge retry number stays finite and capped", () => {
    assert.equal(backoffDelay(5000, { baseMs: 1, maxMs: 7, jitter: false }), 7);
  });

  test("a failing feed's back-off is the same formula after its free failures", () => {
    const { freeFailures, baseMs, maxMs } = DEFAULT_BACKOFF;
    for (const failures of [freeFailures + 1, freeFailures + 3, 60]) {
      assert.equal(
        backoffMs(failures),
        backoffDelay(failures - freeFailures, { baseMs, maxMs, jitter: false }),
      );
    }
  });

  test("sleep rejects with the signal's reason", async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort(new Error("stop"));
    await assert.rejects(slept, /stop/);
  });
});
