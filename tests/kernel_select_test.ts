/**
 * select: one case commits, ready cases are chosen uniformly, losing cases keep their values, default,
 * timeout, abort, closed channels, and 100,000 random selects that lose or duplicate nothing.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { chan, type Channel } from "../engine/kernel/channel.ts";
import { recvCase, select, type SelectCase, sendCase } from "../engine/kernel/select.ts";
import { ChannelClosedError } from "../engine/kernel/errors.ts";
import { trackTimers } from "./support/timer_tracker.ts";

const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function countChoices(cases: () => SelectCase[], refill: (index: number) => void, rounds: number) {
  const counts = new Array(cases().length).fill(0);
  return (async () => {
    for (let i = 0; i < rounds; i++) {
      const r = await select(cases());
      counts[r.index]++;
      refill(r.index);
    }
    return counts;
  })();
}

describe("select", () => {
  test("takes the one ready case and leaves the others untouched", async () => {
    const a = chan<number>(1);
    const b = chan<number>(1);
    await b.send(5);
    const r = await select([recvCase(a), recvCase(b)]);
    assert.deepEqual(r, { index: 1, value: 5, ok: true });
    assert.equal(a.length, 0);
  });

  test("two always-ready channels are each chosen 45-55% of 10,000 selects", async () => {
    const chans = [chan<number>(1), chan<number>(1)];
    for (const c of chans) c.trySend(0);
    const counts = await countChoices(
      () => chans.map((c) => recvCase(c)),
      (i) => chans[i].trySend(0),
      10_000,
    );
    for (const c of counts) assert.ok(c >= 4500 && c <= 5500, `counts ${counts}`);
  });

  test("three ready cases among four (send and recv mixed) are chosen uniformly", async () => {
    const r0 = chan<number>(1);
    const never = chan<number>();
    const s2 = chan<number>(Infinity);
    const r3 = chan<number>(1);
    r0.trySend(0);
    r3.trySend(0);
    const counts = await countChoices(
      () => [recvCase(r0), recvCase(never), sendCase(s2, 1), recvCase(r3)],
      (i) => i === 0 ? r0.trySend(0) : i === 3 ? r3.trySend(0) : undefined,
      9_000,
    );
    assert.equal(counts[1], 0);
    for (const i of [0, 2, 3]) assert.ok(counts[i] >= 2700 && counts[i] <= 3300, `counts ${counts}`);
  });

  test("a losing ready case keeps its value", async () => {
    const a = chan<number>(1);
    const b = chan<number>(1);
    a.trySend(1);
    b.trySend(2);
    const r = await select([recvCase(a), recvCase(b)]);
    const loser = r.index === 0 ? b : a;
    assert.equal(loser.length, 1);
    assert.equal((await loser.recv()).value, r.index === 0 ? 2 : 1);
  });

  test("a blocked select is woken by a send and withdraws from every other channel", async () => {
    const a = chan<string>();
    const b = chan<string>();
    const out = chan<string>();
    const pending = select([recvCase(a), recvCase(b), sendCase(out, "never")]);
    await settle();
    await b.send("hello");
    assert.deepEqual(await pending, { index: 1, value: "hello", ok: true });
    assert.equal(a.trySend("x"), false, "no receiver left on a");
    assert.equal(out.tryRecv(), undefined, "no sender left on out");
  });

  test("a blocked send case completes when a receiver arrives", async () => {
    const out = chan<number>();
    const other = chan<number>();
    const pending = select([recvCase(other), sendCase(out, 42)]);
    assert.deepEqual(await out.recv(), { value: 42, ok: true });
    assert.deepEqual(await pending, { index: 1, ok: true });
    assert.equal(other.trySend(1), false);
  });

  test("default is taken only when no case is ready", async () => {
    const ch = chan<number>(1);
    assert.deepEqual(await select([recvCase(ch)], { default: true }), { index: -1, ok: false });
    ch.trySend(3);
    assert.deepEqual(await select([recvCase(ch)], { default: true }), { index: 0, value: 3, ok: true });
  });

  test("timeout resolves index -1 with timedOut and withdraws the waiters", async () => {
    const ch = chan<number>();
    const r = await select([recvCase(ch)], { timeout: 5 });
    assert.deepEqual(r, { index: -1, ok: false, timedOut: true });
    assert.equal(ch.trySend(1), false);
    assert.deepEqual(await select([recvCase(ch)], { timeout: 0 }), { index: -1, ok: false, timedOut: true });
  });

  test("a case that fires, or an abort, before the timeout clears the timer", async () => {
    const timers = trackTimers();
    try {
      const ch = chan<number>();
      const pending = select([recvCase(ch)], { timeout: 60_000 });
      assert.equal(timers.active, 1);
      await ch.send(1);
      assert.deepEqual(await pending, { index: 0, value: 1, ok: true });
      assert.equal(timers.active, 0);
      const ac = new AbortController();
      const aborted = select([recvCase(ch)], { timeout: 60_000, signal: ac.signal });
      ac.abort();
      await assert.rejects(aborted);
      assert.equal(timers.active, 0);
    } finally {
      timers.restore();
    }
  });

  test("abort rejects with the signal's reason and deregisters every case", async () => {
    const a = chan<number>();
    const b = chan<number>();
    const ac = new AbortController();
    const pending = select([recvCase(a), sendCase(b, 9)], { signal: ac.signal, timeout: 60_000 });
    ac.abort(new Error("cancelled"));
    await assert.rejects(pending, /cancelled/);
    assert.equal(a.trySend(1), false);
    assert.equal(b.tryRecv(), undefined);
    await assert.rejects(select([recvCase(a)], { signal: ac.signal }), /cancelled/);
  });

  test("a closed channel is ready: recv gives ok=false, send rejects ChannelClosedError", async () => {
    const ch = chan<number>();
    const waiting = select([recvCase(ch)]);
    ch.close();
    assert.deepEqual(await waiting, { index: 0, value: undefined, ok: false });
    assert.deepEqual(await select([recvCase(ch)]), { index: 0, value: undefined, ok: false });
    await assert.rejects(select([sendCase(ch, 1)]), ChannelClosedError);
    const blocked = chan<number>();
    const sending = select([sendCase(blocked, 1)]);
    blocked.close();
    await assert.rejects(sending, ChannelClosedError);
  });

  test("100,000 random selects mixing send and recv cases lose and duplicate nothing", async () => {
    const n = 30_000;
    const inputs: Channel<number>[] = [chan(0), chan(0), chan(1), chan(4)];
    const out = chan<number>(2);
    let selects = 0;
    const pick = () => inputs[Math.floor(Math.random() * inputs.length)];

    const producers = Array.from({ length: 4 }, async (_, p) => {
      for (let v = p; v < n; v += 4) {
        selects++;
        await select([sendCase(pick(), v), sendCase(pick(), v)]);
      }
    });
    // Relays hold values and select over receiving more and passing one on: send and recv cases mixed.
    const relay = async () => {
      const open = [...inputs];
      const held: number[] = [];
      while (open.length > 0 || held.length > 0) {
        const cases: SelectCase[] = held.length >= 8 ? [] : open.map((c) => recvCase(c));
        const sendIndex = cases.length;
        if (held.length > 0) cases.push(sendCase(out, held[held.length - 1]));
        selects++;
        const r = await select(cases);
        if (r.index === sendIndex) held.pop();
        else if (r.ok) held.push(r.value as number);
        else open.splice(r.index, 1);
      }
    };
    const relays = Array.from({ length: 3 }, relay);
    const seen = new Uint8Array(n);
    let count = 0;
    let sum = 0;
    const consumers = Array.from({ length: 2 }, async () => {
      for (;;) {
        selects++;
        const r = await select([recvCase(out)]);
        if (!r.ok) return;
        const v = r.value as number;
        seen[v]++;
        count++;
        sum += v;
      }
    });
    await Promise.all(producers);
    for (const c of inputs) c.close();
    await Promise.all(relays);
    out.close();
    await Promise.all(consumers);
    assert.ok(selects >= 100_000, `only ${selects} selects`);
    assert.equal(count, n);
    assert.equal(sum, (n * (n - 1)) / 2);
    assert.ok(seen.every((s) => s === 1));
  });

  test("timeouts and aborts racing with deliveries lose and duplicate nothing", async () => {
    const n = 3_000;
    const a = chan<number>();
    const b = chan<number>(1);
    let timeouts = 0;
    let aborts = 0;
    // Each attempt may be aborted on the next microtask or time out after 1 ms; then the value is offered again.
    const attempt = (cases: SelectCase[]) => {
      const ac = new AbortController();
      if (Math.random() < 0.2) queueMicrotask(() => ac.abort());
      return select(cases, { signal: ac.signal, timeout: 1 }).then(
        (r) => (r.timedOut ? (timeouts++, undefined) : r),
        () => (aborts++, undefined),
      );
    };
    const producer = async (first: number) => {
      for (let v = first; v < n; v += 2) {
        while (!(await attempt([sendCase(a, v), sendCase(b, v)])));
      }
    };
    const seen = new Uint8Array(n);
    let count = 0;
    const consumer = async () => {
      while (count < n) {
        const r = await attempt([recvCase(a), recvCase(b)]);
        if (r === undefined) continue;
        seen[r.value as number]++;
        count++;
        if (count % 250 === 0) await new Promise((resolve) => setTimeout(resolve, 3));
      }
    };
    await Promise.all([producer(0), producer(1), consumer()]);
    assert.equal(count, n);
    assert.ok(seen.every((s) => s === 1));
    assert.ok(
      timeouts > 0 && aborts > 0,
      `timeouts ${timeouts}, aborts ${aborts}: the race was not exercised`,
    );
  });
});
