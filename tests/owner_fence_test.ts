/**
 * The mailbox holder's fence (engine/cluster/owner_fence.ts) over a lease whose remaining time the test
 * sets: no write starts with less than a third of the lease left, a write still running at a sixth is
 * cut off, and looking for messages in doubt waits a sixth after the lease was taken or a write was cut.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { fenceMargins, OwnerFence } from "../engine/cluster/owner_fence.ts";
import { FencedWrite } from "../engine/pipeline/write_fence.ts";

/** A lease that has `left` ms left, as the test says. */
function fakeLease(left: number) {
  const lease = { left, remainingMs: () => lease.left };
  return lease;
}

describe("owner fence", () => {
  test("margins are a third, a sixth and a sixth of the lease", () => {
    assert.deepEqual(fenceMargins(30_000), { stopMs: 10_000, severMs: 5_000, settleMs: 5_000 });
  });

  test("a write starts only with a third of the lease left", () => {
    const lease = fakeLease(30_000);
    const fence = new OwnerFence("owner x", lease, fenceMargins(30_000));
    fence.check();
    assert.equal(fence.open, true);
    lease.left = 9_999;
    assert.equal(fence.open, false);
    assert.throws(() => fence.check(), (e) => e instanceof FencedWrite && e.code === "E_CLUSTER_FENCED");
    assert.equal(fence.tripped, 1);
    lease.left = -Infinity; // lost
    assert.throws(() => fence.check(), FencedWrite);
  });

  test("a write still running when a sixth is left is cut off, once", async () => {
    const lease = fakeLease(30_000);
    const fence = new OwnerFence("owner x", lease, fenceMargins(30_000));
    let cuts = 0;
    let cut!: () => void;
    const severed = new Promise<void>((resolve) => cut = resolve);
    const unwatch = fence.watch(() => {
      cuts++;
      cut();
    });
    lease.left = 4_000; // the next look (within a second) finds it past the sever margin
    await severed;
    unwatch();
    assert.equal(cuts, 1);
    assert.equal(fence.tripped, 1);
  });

  test("a write that ends in time is not cut off", () => {
    const lease = fakeLease(30_000);
    const fence = new OwnerFence("owner x", lease, fenceMargins(30_000));
    let cuts = 0;
    const unwatch = fence.watch(() => cuts++);
    unwatch();
    lease.left = 0;
    assert.equal(cuts, 0);
    assert.equal(fence.tripped, 0);
  });

  test("looking for doubts waits the settle margin from when the lease was taken", async () => {
    const margins = { stopMs: 100, severMs: 50, settleMs: 150 };
    const lease = fakeLease(300);
    const before = performance.now();
    const fence = new OwnerFence("owner x", lease, margins);
    await fence.settled();
    // A lower bound the fence guarantees (it looks at the clock, not only at its timer).
    assert.ok(performance.now() - before >= 150, "settled() resolved before the settle margin");
  });
});
