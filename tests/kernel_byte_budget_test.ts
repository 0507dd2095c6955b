/**
 * ByteBudget: requests wait until their bytes fit, FIFO; one larger than the whole budget goes through
 * when nothing is held; a request never waits for bytes held upstream of its position; aborts withdraw.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { ByteBudget } from "../engine/kernel/byte_budget.ts";
import { KernelUsageError } from "../engine/kernel/errors.ts";

/** Lets every granted request's continuation run. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("ByteBudget", () => {
  test("a request waits until its bytes fit, and the held bytes never pass the limit", async () => {
    const budget = new ByteBudget(1000);
    await budget.acquire(600);
    let granted = false;
    const next = budget.acquire(600).then(() => (granted = true));
    await settle();
    assert.equal(granted, false);
    assert.equal(budget.waiting, 1);
    budget.release(600);
    await next;
    assert.equal(budget.held, 600);
    assert.equal(budget.highWater, 600);
  });

  test("many holders of random sizes: the high-water mark stays within the limit", async () => {
    const budget = new ByteBudget(10_000);
    const sizes = Array.from({ length: 200 }, (_, i) => 100 + ((i * 7919) % 2900));
    await Promise.all(sizes.map(async (n) => {
      await budget.acquire(n);
      await settle();
      budget.release(n);
    }));
    assert.ok(budget.highWater <= 10_000, `high water ${budget.highWater}`);
    assert.ok(budget.highWater > 5_000, "holders overlapped");
    assert.equal(budget.held, 0);
  });

  test("a request larger than the whole budget is granted once nothing is held, never before", async () => {
    const budget = new ByteBudget(100);
    await budget.acquire(500); // nothing held: granted at once
    budget.release(500);
    await budget.acquire(10);
    let granted = false;
    const big = budget.acquire(500).then(() => (granted = true));
    await settle();
    assert.equal(granted, false);
    budget.release(10);
    await big;
    assert.equal(budget.held, 500);
  });

  test("FIFO: a small request does not jump a large one waiting at the same position", async () => {
    const budget = new ByteBudget(100);
    await budget.acquire(60);
    const order: string[] = [];
    const large = budget.acquire(80).then(() => order.push("large"));
    const small = budget.acquire(10).then(() => order.push("small"));
    await settle();
    assert.deepEqual(order, [], "the small one would fit, but the large one is first");
    budget.release(60);
    await Promise.all([large, small]);
    assert.deepEqual(order, ["large", "small"]);
  });

  test("an aborted request rejects with the reason, takes nothing, and lets the next one through", async () => {
    const budget = new ByteBudget(100);
    await budget.acquire(50);
    const ac = new AbortController();
    const aborted = budget.acquire(80, { signal: ac.signal });
    const next = budget.acquire(40);
    ac.abort(new Error("stop"));
    await assert.rejects(aborted, /stop/);
    await next;
    assert.equal(budget.held, 90);
    assert.equal(budget.waiting, 0);
    await assert.rejects(budget.acquire(1, { signal: ac.signal }), /stop/);
  });

  test("a request never waits for bytes held upstream of it: no deadlock behind its own queue", async () => {
    const budget = new ByteBudget(100);
    // Items emitted by stage 0 fill the budget and sit in the queue in front of stage 1...
    await budget.acquire(100, { position: 0 });
    // ...so stage 1, which must hand its item on before it takes the next one, may go over the budget.
    await budget.acquire(60, { position: 1 });
    assert.equal(budget.held, 160);
    // A second item of stage 1 now waits: stage 1's first is downstream of it and will drain.
    let granted = false;
    const second = budget.acquire(60, { position: 1 }).then(() => (granted = true));
    // And so does stage 0, which waits for everything held at 0 and after.
    const upstream = budget.acquire(10, { position: 0 });
    await settle();
    assert.equal(granted, false);
    budget.release(60, 1); // the sink took stage 1's item
    await second;
    budget.release(100, 0);
    await upstream;
    assert.equal(budget.held, 70);
  });

  test("downstream waiters are served first when bytes come back", async () => {
    const budget = new ByteBudget(100);
    await budget.acquire(90, { position: 2 });
    const order: number[] = [];
    const up = budget.acquire(50, { position: 0 }).then(() => order.push(0));
    const down = budget.acquire(50, { position: 1 }).then(() => order.push(1));
    await settle();
    budget.release(90, 2);
    await Promise.all([up, down]);
    assert.deepEqual(order, [1, 0]);
  });

  test("reserve counts bytes at once, over the budget; later requests wait for them", async () => {
    const budget = new ByteBudget(100);
    budget.reserve(150);
    assert.equal(budget.held, 150);
    let granted = false;
    const next = budget.acquire(10).then(() => (granted = true));
    await settle();
    assert.equal(granted, false);
    budget.release(150);
    await next;
    assert.equal(budget.highWater, 150);
  });

  test("misuse is a KernelUsageError: a bad limit, a bad size, releasing more than is held", () => {
    assert.throws(() => new ByteBudget(0), KernelUsageError);
    const budget = new ByteBudget(10);
    assert.throws(() => budget.reserve(-1), KernelUsageError);
    budget.reserve(5, 1);
    assert.throws(() => budget.release(5, 0), KernelUsageError);
    assert.throws(() => budget.release(6, 1), KernelUsageError);
    budget.release(5, 1);
    assert.equal(budget.held, 0);
  });
});
