/** GroupCommit: concurrent submissions become batches; close waits for the batch being committed. */
import { test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { GroupCommit } from "../engine/kernel/group_commit.ts";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test("items submitted while a batch commits form the next batch, per key, in order", async () => {
  const gate = deferred();
  const batches: string[][] = [];
  const gc = new GroupCommit<string, string>(async (key, items) => {
    batches.push([key, ...items]);
    if (batches.length === 1) await gate.promise;
    return items.map((i) => i.toUpperCase());
  }, { maxBatch: 3, keyOf: (s) => s[0] });
  const first = gc.submit("a1");
  await Promise.resolve();
  const rest = ["a2", "b1", "a3", "a4", "b2"].map((s) => gc.submit(s));
  assert.equal(gc.pending, 5);
  gate.resolve();
  assert.deepEqual(await Promise.all([first, ...rest]), ["A1", "A2", "B1", "A3", "A4", "B2"]);
  assert.deepEqual(batches, [["a", "a1"], ["a", "a2", "a3", "a4"], ["b", "b1", "b2"]]);
  assert.deepEqual(gc.batchSizes, [1, 3, 2]);
});

test("a failed batch rejects exactly its items", async () => {
  const gc = new GroupCommit<number, number>((_k, items) => {
    if (items.includes(2)) return Promise.reject(new Error("batch failed"));
    return Promise.resolve(items);
  }, { maxBatch: 1 });
  const results = await Promise.allSettled([1, 2, 3].map((n) => gc.submit(n)));
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
});

test("close waits for the batch in flight and rejects what is still queued", async () => {
  const gate = deferred();
  let committed = 0;
  const gc = new GroupCommit<number, number>(async (_k, items) => {
    await gate.promise;
    committed += items.length;
    return items;
  }, { maxBatch: 1 });
  const inFlight = gc.submit(1);
  await Promise.resolve();
  await Promise.resolve();
  const queued = gc.submit(2);
  const closing = gc.close();
  await assert.rejects(queued, /closed before this item was committed/);
  let closed = false;
  void closing.then(() => (closed = true));
  await Promise.resolve();
  assert.equal(closed, false, "close returned while a batch was being committed");
  gate.resolve();
  await closing;
  assert.equal(await inFlight, 1);
  assert.equal(committed, 1);
  await assert.rejects(gc.submit(3), /closed/);
});
