/**
 * owner(): strict one-at-a-time service in arrival order, reconnect with backoff after a fatal error,
 * and a close that answers every pending call.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { owner } from "../engine/kernel/owner.ts";
import { OwnerClosedError, OwnerReconnectError } from "../engine/kernel/errors.ts";
import { SluiceError } from "../engine/errors.ts";
import { trackTimers } from "./support/timer_tracker.ts";

const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** A resource that is not safe to share: it throws if a second call starts while one is running. */
class ExclusiveConn {
  busy = false;
  closed = false;
  readonly log: string[] = [];
  constructor(readonly id: number) {}
  async use(entry: string, work: () => Promise<void> = settle): Promise<string> {
    if (this.closed) throw Object.assign(new Error("use after close"), { code: "ERR_SOCKET_CLOSED" });
    if (this.busy) throw new Error(`overlapping calls on connection ${this.id}`);
    this.busy = true;
    try {
      await work();
      this.log.push(entry);
      return `${entry}@${this.id}`;
    } finally {
      this.busy = false;
    }
  }
}

function closeConn(c: ExclusiveConn): Promise<void> {
  c.closed = true;
  return Promise.resolve();
}

function connectionReset(): Error {
  return Object.assign(new Error("connection reset by peer"), { code: "ECONNRESET" });
}

describe("owner", () => {
  test("serves many concurrent callers one at a time, in arrival order across actions", async () => {
    let opened = 0;
    let conn: ExclusiveConn | undefined;
    const o = owner({
      name: "exclusive",
      open: () => Promise.resolve(conn = new ExclusiveConn(++opened)),
      close: closeConn,
      actions: {
        append: (c: ExclusiveConn, msg: string) => c.use(`append:${msg}`),
        noop: (c: ExclusiveConn) => c.use("noop", () => Promise.resolve()),
      },
    });
    const calls: Promise<string>[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 200; i++) {
      if (i % 3 === 0) {
        calls.push(o.call.noop());
        expected.push("noop");
      } else {
        calls.push(o.call.append(String(i)));
        expected.push(`append:${i}`);
      }
    }
    assert.equal(o.pending, 200);
    const results = await Promise.all(calls);
    assert.equal(results[1], "append:1@1");
    assert.deepEqual(conn!.log, expected);
    assert.equal(opened, 1, "opened lazily, once");
    assert.equal(o.pending, 0);
    await o.close();
    assert.equal(conn!.closed, true);
  });

  test("a fatal error closes the resource, reopens it with backoff and retries the request", async () => {
    const conns: ExclusiveConn[] = [];
    let failNext = true;
    const timers = trackTimers();
    try {
      const o = owner({
        name: "flaky",
        open: () => {
          const c = new ExclusiveConn(conns.length + 1);
          conns.push(c);
          return Promise.resolve(c);
        },
        close: closeConn,
        actions: {
          append: async (c: ExclusiveConn, msg: string) => {
            if (failNext) {
              failNext = false;
              throw connectionReset();
            }
            return await c.use(msg);
          },
        },
        reconnect: { attempts: 3, backoffMs: 1 },
      });
      assert.equal(await o.call.append("m1"), "m1@2");
      assert.equal(conns.length, 2);
      assert.equal(conns[0].closed, true, "the broken connection was closed");
      assert.equal(await o.call.append("m2"), "m2@2", "the new connection is reused");
      await o.close();
      assert.equal(timers.active, 0);
    } finally {
      timers.restore();
    }
  });

  test("reconnect gives up after the attempts with OwnerReconnectError; the next call tries again", async () => {
    let opens = 0;
    let reachable = false;
    const o = owner({
      name: "imap",
      open: () => {
        opens++;
        if (!reachable) {
          return Promise.reject(Object.assign(new Error("connect refused"), { code: "ECONNREFUSED" }));
        }
        return Promise.resolve(new ExclusiveConn(opens));
      },
      actions: { append: (c: ExclusiveConn, msg: string) => c.use(msg) },
      reconnect: { attempts: 2, backoffMs: 1, maxBackoffMs: 2 },
    });
    await assert.rejects(o.call.append("a"), (e: unknown) => {
      assert.ok(e instanceof OwnerReconnectError);
      assert.match(
        e.message,
        /owner "imap": "append" failed after 2 reconnect attempt\(s\): connect refused/,
      );
      assert.equal((e.cause as { code: string }).code, "ECONNREFUSED");
      return true;
    });
    assert.equal(opens, 3, "first try plus two reconnects");
    reachable = true;
    assert.equal(await o.call.append("b"), "b@4");
    await o.close();
  });

  test("a non-fatal error fails only that request and keeps the resource", async () => {
    let opens = 0;
    const o = owner({
      name: "strict",
      open: () => Promise.resolve(new ExclusiveConn(++opens)),
      actions: {
        append: (c: ExclusiveConn, msg: string) =>
          msg === "bad" ? Promise.reject(new Error("NO [TRYCREATE] folder")) : c.use(msg),
      },
      reconnect: { attempts: 3, backoffMs: 1 },
    });
    const [bad, good] = await Promise.allSettled([o.call.append("bad"), o.call.append("good")]);
    assert.equal(bad.status, "rejected");
    assert.match(String((bad as PromiseRejectedResult).reason), /TRYCREATE/);
    assert.deepEqual(good, { status: "fulfilled", value: "good@1" });
    assert.equal(opens, 1);
    await o.close();
  });

  test("an open failure that stops runs (a refused login) is final: later calls get it without reopening", async () => {
    let opens = 0;
    const refused = new SluiceError("E_IMAP_AUTH", "login refused", "check the password", { stopsRun: true });
    const o = owner({
      name: "login",
      open: () => {
        opens++;
        return Promise.reject(refused);
      },
      actions: { append: (c: ExclusiveConn, msg: string) => c.use(msg) },
    });
    const results = await Promise.allSettled([o.call.append("a"), o.call.append("b"), o.call.append("c")]);
    assert.deepEqual(results.map((r) => r.status === "rejected" && r.reason), [refused, refused, refused]);
    assert.equal(opens, 1);
    await o.close();
  });

  test("an ordinary open failure is not final: the next call opens again", async () => {
    let opens = 0;
    const o = owner({
      name: "flaky",
      open: () => (++opens === 1
        ? Promise.reject(new Error("ECONNREFUSED"))
        : Promise.resolve(new ExclusiveConn(opens))),
      actions: {
        append: (c: ExclusiveConn, msg: string) =>
          c.use(msg),
      },
    });
    await assert.rejects(o.call.append("a"), /ECONNREFUSED/);
    assert.equal(await o.call.append("b"), "b@2");
    await o.close();
  });

  test("close drains: every queued call is answered, then the resource is closed once", async () => {
    let closes = 0;
    const o = owner({
      name: "drain",
      open: () => Promise.resolve(new ExclusiveConn(1)),
      close: () => Promise.resolve(void closes++),
      actions: { append: (c: ExclusiveConn, msg: string) => c.use(msg) },
    });
    const calls = Array.from({ length: 20 }, (_, i) => o.call.append(String(i)));
    const closed = o.close();
    await assert.rejects(o.call.append("late"), OwnerClosedError);
    const results = await Promise.all(calls);
    assert.equal(results.length, 20);
    await closed;
    await o.close();
    assert.equal(closes, 1);
    assert.equal(o.closed, true);
  });

  test("close({ drain: false }), even after a draining close, fails queued calls; the running one completes", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let sawAbort = false;
    const o = owner({
      name: "abrupt",
      open: () => Promise.resolve(new ExclusiveConn(1)),
      actions: {
        slow: async (c: ExclusiveConn, _: undefined, ctx) => {
          started();
          const result = await c.use("slow", () => gate);
          sawAbort = ctx.signal.aborted;
          return result;
        },
        append: (c: ExclusiveConn, msg: string) => c.use(msg),
      },
    });
    const slow = o.call.slow();
    const queued = [o.call.append("a"), o.call.append("b")];
    await running;
    assert.equal(o.pending, 3);
    const draining = o.close();
    const closed = o.close({ drain: false }); // escalates the draining close
    for (const q of queued) await assert.rejects(q, OwnerClosedError);
    release();
    assert.equal(await slow, "slow@1");
    assert.equal(sawAbort, true, "the running action saw the close signal");
    await closed;
    await draining;
  });

  test("close during a reconnect backoff answers the call and leaves no timer", async () => {
    const timers = trackTimers();
    try {
      let started!: () => void;
      const failed = new Promise<void>((resolve) => (started = resolve));
      const o = owner({
        name: "down",
        open: () => {
          started();
          return Promise.reject(connectionReset());
        },
        actions: { ping: () => Promise.resolve("pong") },
        reconnect: { attempts: 5, backoffMs: 60_000 },
      });
      const call = o.call.ping();
      await failed;
      await settle();
      assert.equal(timers.active, 1, "waiting in backoff");
      await o.close({ drain: false });
      await assert.rejects(call, OwnerClosedError);
      assert.equal(timers.active, 0);
    } finally {
      timers.restore();
    }
  });

  test("aborting a queued call withdraws it before it runs", async () => {
    const ran: string[] = [];
    const o = owner({
      name: "abortable",
      open: () => Promise.resolve(new ExclusiveConn(1)),
      actions: { append: (c: ExclusiveConn, msg: string) => c.use(msg).then((r) => (ran.push(msg), r)) },
    });
    const ac = new AbortController();
    const first = o.call.append("first");
    const second = o.call.append("second", { signal: ac.signal });
    const third = o.call.append("third");
    ac.abort(new Error("caller gave up"));
    await assert.rejects(second, /caller gave up/);
    await Promise.all([first, third]);
    assert.deepEqual(ran, ["first", "third"]);
    await o.close();
  });

  test("openOnStart opens before the first call", async () => {
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    const o = owner({
      name: "eager",
      openOnStart: true,
      open: () => {
        opened();
        return Promise.resolve(new ExclusiveConn(1));
      },
      actions: { ping: (c: ExclusiveConn) => c.use("ping") },
    });
    await isOpen;
    assert.equal(await o.call.ping(), "ping@1");
    await o.close();
  });

  test("calls are typed from the actions (checked by deno test's type check)", async () => {
    interface Msg {
      subject: string;
    }
    type Uid = number;
    const o = owner({
      name: "typed",
      open: () => Promise.resolve(new ExclusiveConn(1)),
      actions: {
        append: async (c: ExclusiveConn, msg: Msg): Promise<Uid> => (await c.use(msg.subject)).length,
        noop: (c: ExclusiveConn) => c.use("noop"),
      },
    });
    const uid: Uid = await o.call.append({ subject: "hi" });
    assert.equal(uid, "hi@1".length);
    const misuse = () => {
      // @ts-expect-error the request must be a Msg
      o.call.append("not a message");
      // @ts-expect-error the result is a number, not a string
      const s: Promise<string> = o.call.append({ subject: "x" });
      // @ts-expect-error there is no such action
      o.call.delete({ subject: "x" });
      return s;
    };
    assert.equal(typeof misuse, "function");
    await o.close();
  });
});
