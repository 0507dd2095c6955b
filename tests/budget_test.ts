/** TimeBudget: a deadline per tick whose signal aborts at the deadline or with a parent signal. */
import { test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { ManualClock, TimeBudget } from "../engine/schedule/mod.ts";

test("the signal aborts at the deadline with a TimeoutError, and remainingMs counts down", async () => {
  const clock = new ManualClock("2026-01-01T00:00:00Z");
  const budget = new TimeBudget(1000, { clock });
  assert.equal(budget.deadline.toISOString(), "2026-01-01T00:00:01.000Z");
  assert.equal(budget.remainingMs, 1000);
  await clock.advance(400);
  assert.equal(budget.remainingMs, 600);
  assert.equal(budget.signal.aborted, false);
  assert.equal(budget.expired, false);
  await clock.advance(600);
  assert.equal(budget.signal.aborted, true);
  assert.equal((budget.signal.reason as DOMException).name, "TimeoutError");
  assert.match((budget.signal.reason as DOMException).message, /time budget of 1000 ms is spent/);
  assert.equal(budget.remainingMs, 0);
  assert.equal(budget.expired, true);
  assert.equal(clock.sleepers, 0);
});

test("a parent signal ends the budget early with its reason and drops the timer", async () => {
  const clock = new ManualClock(0);
  const parent = new AbortController();
  const budget = new TimeBudget(60_000, { clock, signal: parent.signal });
  await clock.advance(0);
  assert.equal(clock.sleepers, 1);
  parent.abort(new Error("SIGTERM"));
  assert.equal(budget.signal.aborted, true);
  assert.equal((budget.signal.reason as Error).message, "SIGTERM");
  await clock.advance(0);
  assert.equal(clock.sleepers, 0);
});

test("an already aborted parent or a non-positive budget is spent at once", () => {
  const clock = new ManualClock(0);
  assert.equal(new TimeBudget(1000, { clock, signal: AbortSignal.abort("stop") }).signal.reason, "stop");
  const none = new TimeBudget(0, { clock });
  assert.equal(none.signal.aborted, true);
  assert.equal(none.expired, true);
  assert.equal(clock.sleepers, 0);
});

test("dispose stops the deadline: the signal never aborts afterwards", async () => {
  const clock = new ManualClock(0);
  const budget = new TimeBudget(1000, { clock });
  await clock.advance(0);
  budget.dispose();
  await clock.advance(5000);
  assert.equal(budget.signal.aborted, false);
  assert.equal(clock.sleepers, 0);
});

test("with the real clock the signal fires and `using` leaves no timer behind", async () => {
  const short = new TimeBudget(15);
  await new Promise((resolve) => short.signal.addEventListener("abort", resolve, { once: true }));
  assert.equal((short.signal.reason as DOMException).name, "TimeoutError");
  {
    using long = new TimeBudget(60_000);
    assert.ok(long.remainingMs > 59_000);
  }
});
