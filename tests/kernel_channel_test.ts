/**
 * Channels: rendezvous, back-pressure, close-and-drain, errors, cancellation, FIFO and a many-task
 * count-and-sum check.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { chan } from "../engine/kernel/channel.ts";
import { ChannelClosedError, KernelUsageError } from "../engine/kernel/errors.ts";

/** One macrotask turn: every microtask (every task that could run) has run. Proves absence, not a wait. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("chan", () => {
  test("rendezvous send completes only when a receiver takes the value", async () => {
    const ch = chan<number>();
    let sent = false;
    const send = ch.send(1).then(() => (sent = true));
    await settle();
    assert.equal(sent, false);
    assert.equal(ch.length, 0);
    assert.deepEqual(await ch.recv(), { value: 1, ok: true });
    await send;
    assert.equal(sent, true);
  });

  test("rendezvous send to a waiting receiver hands the value over", async () => {
    const ch = chan<string>();
    const r = ch.recv();
    await ch.send("x");
    assert.deepEqual(await r, { value: "x", ok: true });
    assert.equal(ch.trySend("y"), false, "no receiver waits any more");
  });

  test("buffered send waits while full and resumes when a value is taken", async () => {
    const ch = chan<number>(2);
    await ch.send(1);
    await ch.send(2);
    assert.equal(ch.length, 2);
    assert.equal(ch.trySend(3), false);
    let third = false;
    const p = ch.send(3).then(() => (third = true));
    await settle();
    assert.equal(third, false);
    assert.deepEqual(ch.tryRecv(), { value: 1, ok: true });
    await p;
    assert.equal(ch.length, 2);
    assert.deepEqual([(await ch.recv()).value, (await ch.recv()).value], [2, 3]);
    assert.equal(ch.tryRecv(), undefined);
  });

  test("values arrive in send order across many blocked senders", async () => {
    const ch = chan<number>(1);
    const sends = Array.from({ length: 20 }, (_, i) => ch.send(i));
    const got: number[] = [];
    for (let i = 0; i < 20; i++) got.push((await ch.recv()).value!);
    await Promise.all(sends);
    assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => i));
  });

  test("close keeps buffered values: receivers drain them, then see ok=false", async () => {
    const ch = chan<number>(4);
    for (let i = 0; i < 3; i++) await ch.send(i);
    ch.close();
    assert.equal(ch.closed, true);
    const got: number[] = [];
    for await (const v of ch) got.push(v);
    assert.deepEqual(got, [0, 1, 2]);
    assert.deepEqual(await ch.recv(), { value: undefined, ok: false });
    assert.deepEqual(ch.tryRecv(), { value: undefined, ok: false });
  });

  test("close wakes blocked receivers with ok=false and blocked senders with ChannelClosedError", async () => {
    const empty = chan<number>();
    const receivers = [empty.recv(), empty.recv()];
    const full = chan<number>(1, { name: "full" });
    await full.send(1);
    const blocked = full.send(2);
    empty.close();
    full.close();
    assert.deepEqual(await Promise.all(receivers), [{ value: undefined, ok: false }, {
      value: undefined,
      ok: false,
    }]);
    await assert.rejects(blocked, ChannelClosedError);
    assert.deepEqual(await full.recv(), { value: 1, ok: true }, "the buffered value survives close");
    assert.deepEqual(await full.recv(), { value: undefined, ok: false });
  });

  test("send on a closed channel and a second close throw ChannelClosedError", async () => {
    const ch = chan<number>(1, { name: "items" });
    ch.close();
    await assert.rejects(ch.send(1), (e: unknown) => {
      assert.ok(e instanceof ChannelClosedError);
      assert.equal(e.code, "E_CHANNEL_CLOSED");
      assert.match(e.message, /"items"/);
      return true;
    });
    assert.throws(() => ch.trySend(1), ChannelClosedError);
    assert.throws(() => ch.close(), ChannelClosedError);
  });

  test("aborting a blocked send withdraws it: nothing is delivered, later values flow", async () => {
    const ch = chan<number>();
    const ac = new AbortController();
    const aborted = ch.send(1, { signal: ac.signal });
    const kept = ch.send(2);
    ac.abort(new Error("stop"));
    await assert.rejects(aborted, /stop/);
    assert.deepEqual(await ch.recv(), { value: 2, ok: true });
    await kept;
    assert.equal(ch.tryRecv(), undefined, "the aborted value was never enqueued");
  });

  test("aborting a blocked recv withdraws it: the next value goes to the next receiver", async () => {
    const ch = chan<number>();
    const ac = new AbortController();
    const aborted = ch.recv({ signal: ac.signal });
    const second = ch.recv();
    ac.abort();
    await assert.rejects(aborted, { name: "AbortError" });
    await ch.send(7);
    assert.deepEqual(await second, { value: 7, ok: true });
  });

  test("an already aborted signal rejects without sending or receiving", async () => {
    const ch = chan<number>(1);
    const signal = AbortSignal.abort(new Error("early"));
    await assert.rejects(ch.send(1, { signal }), /early/);
    assert.equal(ch.length, 0);
    await ch.send(2);
    await assert.rejects(ch.recv({ signal }), /early/);
    assert.equal(ch.length, 1);
  });

  test("invalid capacities are refused; Infinity is unbounded", async () => {
    assert.throws(() => chan(-1), KernelUsageError);
    assert.throws(() => chan(1.5), KernelUsageError);
    const ch = chan<number>(Infinity);
    for (let i = 0; i < 1000; i++) assert.equal(ch.trySend(i), true);
    assert.equal(ch.length, 1000);
    assert.equal((await ch.recv()).value, 0);
  });

  test("many producers and consumers: every value delivered exactly once", async () => {
    for (const capacity of [0, 1, 64]) {
      const ch = chan<number>(capacity);
      const n = 20_000;
      const producers = Array.from({ length: 4 }, async (_, p) => {
        for (let i = p; i < n; i += 4) await ch.send(i);
      });
      const seen = new Uint8Array(n);
      let count = 0;
      const consumers = Array.from({ length: 3 }, async () => {
        for await (const v of ch) {
          seen[v]++;
          count++;
        }
      });
      await Promise.all(producers);
      ch.close();
      await Promise.all(consumers);
      assert.equal(count, n, `capacity ${capacity}`);
      assert.ok(seen.every((s) => s === 1), `capacity ${capacity}: a value was lost or duplicated`);
    }
  });
});
