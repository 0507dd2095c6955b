/**
 * Mutex, Semaphore, Event, Barrier, WaitGroup: exclusion, FIFO fairness, and cancellation (a cancelled
 * waiter never acquires later).
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { Mutex } from "../engine/kernel/mutex.ts";
import { Semaphore } from "../engine/kernel/semaphore.ts";
import { Event } from "../engine/kernel/event.ts";
import { Barrier } from "../engine/kernel/barrier.ts";
import { WaitGroup } from "../engine/kernel/wait_group.ts";
import { KernelUsageError } from "../engine/kernel/errors.ts";

const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe("Mutex", () => {
  test("critical sections never overlap", async () => {
    const m = new Mutex();
    let inside = 0;
    let counter = 0;
    await Promise.all(Array.from({ length: 50 }, () =>
      m.use(async () => {
        assert.equal(++inside, 1);
        const v = counter;
        await settle();
        counter = v + 1;
        inside--;
      })));
    assert.equal(counter, 50);
    assert.equal(m.locked, false);
  });

  test("waiters get the lock in FIFO order; an aborted waiter never gets it", async () => {
    const m = new Mutex();
    await m.lock();
    const order: string[] = [];
    const ac = new AbortController();
    const a = m.lock().then(() => order.push("a"));
    const b = m.lock({ signal: ac.signal }).then(() => order.push("b"), () => order.push("b-aborted"));
    const c = m.lock().then(() => order.push("c"));
    ac.abort();
    await b;
    m.unlock();
    await a;
    assert.equal(m.tryLock(), false, "a holds it; no barging");
    m.unlock();
    await c;
    m.unlock();
    assert.deepEqual(order, ["b-aborted", "a", "c"]);
    assert.equal(m.locked, false);
  });

  test("use releases on a throw; unlock of an unlocked mutex throws", async () => {
    const m = new Mutex();
    await assert.rejects(m.use(() => Promise.reject(new Error("boom"))), /boom/);
    assert.equal(m.locked, false);
    assert.throws(() => m.unlock(), KernelUsageError);
    await assert.rejects(m.lock({ signal: AbortSignal.abort() }));
    assert.equal(m.locked, false);
  });
});

describe("Semaphore", () => {
  test("at most n holders at once", async () => {
    const sem = new Semaphore(3);
    let inside = 0;
    let peak = 0;
    await Promise.all(Array.from({ length: 30 }, () =>
      sem.use(async () => {
        peak = Math.max(peak, ++inside);
        await settle();
        inside--;
      })));
    assert.equal(peak, 3);
    assert.equal(sem.available, 3);
  });

  test("FIFO: tryAcquire does not jump the queue; an aborted acquire never takes a permit", async () => {
    const sem = new Semaphore(1);
    assert.equal(sem.tryAcquire(), true);
    const order: string[] = [];
    const ac = new AbortController();
    const a = sem.acquire({ signal: ac.signal }).then(() => order.push("a"), () => order.push("a-aborted"));
    const b = sem.acquire().then(() => order.push("b"));
    assert.equal(sem.waiting, 2);
    ac.abort();
    await a;
    assert.equal(sem.waiting, 1);
    sem.release();
    await b;
    assert.equal(sem.tryAcquire(), false);
    sem.release();
    assert.equal(sem.available, 1);
    assert.deepEqual(order, ["a-aborted", "b"]);
    assert.throws(() => sem.release(), KernelUsageError);
    assert.throws(() => new Semaphore(0), KernelUsageError);
  });
});

describe("Event", () => {
  test("set wakes every waiter; later waits pass until clear", async () => {
    const ev = new Event();
    let woken = 0;
    const waits = [ev.wait(), ev.wait()].map((p) => p.then(() => woken++));
    await settle();
    assert.equal(woken, 0);
    ev.set();
    await Promise.all(waits);
    assert.equal(woken, 2);
    await ev.wait();
    ev.clear();
    assert.equal(ev.isSet, false);
    let late = false;
    const p = ev.wait().then(() => (late = true));
    await settle();
    assert.equal(late, false);
    ev.set();
    await p;
  });

  test("an aborted wait rejects and is not woken by set", async () => {
    const ev = new Event();
    const ac = new AbortController();
    const p = ev.wait({ signal: ac.signal });
    ac.abort(new Error("gone"));
    await assert.rejects(p, /gone/);
    ev.set();
    await assert.rejects(p, /gone/);
  });
});

describe("Barrier", () => {
  test("releases all parties when the last arrives, then resets", async () => {
    const b = new Barrier(3);
    for (let round = 0; round < 2; round++) {
      let passed = 0;
      const first = [b.wait(), b.wait()].map((p) => p.then(() => passed++));
      await settle();
      assert.equal(passed, 0);
      assert.equal(b.waiting, 2);
      await b.wait();
      await Promise.all(first);
      assert.equal(passed, 2);
    }
  });

  test("an aborted party no longer counts as arrived", async () => {
    const b = new Barrier(2);
    const ac = new AbortController();
    const gone = b.wait({ signal: ac.signal });
    ac.abort();
    await assert.rejects(gone);
    let passed = false;
    const second = b.wait().then(() => (passed = true));
    await settle();
    assert.equal(passed, false, "the aborted party must not complete the round");
    await b.wait();
    await second;
  });
});

describe("WaitGroup", () => {
  test("wait resolves when the counter reaches zero", async () => {
    const wg = new WaitGroup();
    await wg.wait();
    wg.add(2);
    let done = false;
    const p = wg.wait().then(() => (done = true));
    wg.done();
    await settle();
    assert.equal(done, false);
    wg.done();
    await p;
    assert.equal(wg.counter, 0);
  });

  test("a negative counter throws; an aborted wait rejects", async () => {
    const wg = new WaitGroup();
    assert.throws(() => wg.done(), KernelUsageError);
    wg.add(1);
    const ac = new AbortController();
    const p = wg.wait({ signal: ac.signal });
    ac.abort(new Error("late"));
    await assert.rejects(p, /late/);
    wg.done();
  });
});
