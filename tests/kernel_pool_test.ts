/**
 * WorkerPool: tasks by module URL and export, real concurrency across workers, FIFO queueing, errors
 * that keep their identity, buffer transfer both ways, cancellation, crashes, close, npm imports inside
 * task modules, and the event-loop fallback.
 */
import { after, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "../engine/runtime/mod.ts";
import {
  discardPrestartedWorker,
  PoolClosedError,
  PoolTaskModuleError,
  prestartPoolWorker,
  WorkerCrashedError,
  WorkerPool,
} from "../engine/kernel/worker_pool.ts";

const TASKS = new URL("./fixtures/pool_tasks.ts", import.meta.url);
const task = (name: string) => ({ module: TASKS, export: name });

/** Resolves once `flag[index]` is no longer 0 (a worker stored and notified). */
async function waitForFlag(flag: Int32Array, index: number): Promise<void> {
  while (Atomics.load(flag, index) === 0) {
    const r = Atomics.waitAsync(flag, index, 0);
    if (r.async) await r.value;
  }
}

/** The error `p` rejects with (fails the test when it resolves). */
async function caught(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new assert.AssertionError({ message: "expected a rejection" });
}

function release(flag: Int32Array): void {
  Atomics.store(flag, 1, 1);
  Atomics.notify(flag, 1);
}

describe("WorkerPool", () => {
  const pool = new WorkerPool({ size: 2 });
  // Shared by the tests that need exactly one worker: each worker start costs (a type check under deno test).
  const single = new WorkerPool({ size: 1 });
  after(async () => {
    await Promise.all([pool.close(), single.close()]);
  });

  test("runs a sync and an async export by module URL, absolute path or file: string", async () => {
    assert.equal(await pool.run<number>(task("double"), [21]), 42);
    assert.deepEqual(await pool.run(task("echoLater"), [{ a: [1, "x"] }]), { a: [1, "x"] });
    assert.equal(await pool.run({ module: fileURLToPath(TASKS), export: "double" }, [2]), 4);
    assert.equal(await pool.run({ module: TASKS.href, export: "double" }, [3]), 6);
    assert.equal(pool.usesWorkers, true);
  });

  test("two tasks run at the same time on different workers", async () => {
    const shared = new SharedArrayBuffer(4);
    const [a, b] = await Promise.all([
      pool.run<{ workerId: string; allArrived: boolean }>(task("meet"), [shared, 2]),
      pool.run<{ workerId: string; allArrived: boolean }>(task("meet"), [shared, 2]),
    ]);
    assert.ok(a.allArrived && b.allArrived, "each task saw the other arrive while it was still running");
    assert.notEqual(a.workerId, b.workerId);
  });

  test("warm() starts workers before any task (up to size), and tasks run on them", async () => {
    // No idle timeout: under Deno an idle worker otherwise ends after 1 s, which a loaded machine's first
    // task (its worker type-checks the task module) can take.
    const warmed = new WorkerPool({ size: 2, idleTimeoutMs: Infinity });
    try {
      warmed.warm();
      assert.deepEqual(warmed.stats, { workers: 1, busy: 0, queued: 0, crashed: 0 });
      warmed.warm(5);
      assert.equal(warmed.stats.workers, 2, "never more than size");
      assert.equal(await warmed.run<number>(task("double"), [21]), 42);
      assert.equal(warmed.stats.workers, 2, "the task used a started worker");
    } finally {
      await warmed.close();
    }
    warmed.warm();
    assert.equal(warmed.stats.workers, 0, "no-op once closed");
  });

  test("preload() imports task modules ahead; one that cannot be imported fails only its own tasks", async () => {
    const missing = new URL("./fixtures/no_such_module.ts", import.meta.url);
    single.preload(missing);
    single.preload(TASKS);
    single.preload(TASKS); // once is enough
    single.preload("./relative.ts"); // ignored: the tasks naming it say why
    assert.equal(await single.run<number>(task("double"), [4]), 8);
    await assert.rejects(single.run({ module: missing, export: "x" }), (e: Error) => {
      assert.equal(e.name, "PoolTaskModuleError");
      assert.match(e.message, /cannot be imported/);
      return true;
    });
    assert.equal(await single.run<number>(task("double"), [5]), 10, "the worker keeps serving");
  });

  test("hasLoaded() says whether a worker has imported a task module (always true without workers)", async () => {
    const fresh = new WorkerPool({ size: 1 });
    const noWorkers = new WorkerPool({ useWorkers: false });
    try {
      assert.equal(fresh.hasLoaded(TASKS), false, "no worker yet");
      assert.equal(await fresh.run<number>(task("double"), [2]), 4);
      assert.equal(fresh.hasLoaded(TASKS), true, "a worker answered a task of it");
      assert.equal(fresh.hasLoaded(TASKS.href), true, "named by URL string too");
      assert.equal(fresh.hasLoaded(new URL("./fixtures/no_such_module.ts", import.meta.url)), false);
      assert.equal(fresh.hasLoaded("./relative.ts"), false);
      assert.equal(noWorkers.hasLoaded(TASKS), true);
    } finally {
      await Promise.all([fresh.close(), noWorkers.close()]);
    }
  });

  test("a worker started ahead (prestartPoolWorker) serves the next pool; an untaken one is discarded", async () => {
    prestartPoolWorker();
    prestartPoolWorker(); // one is waiting already: no second
    const taker = new WorkerPool({ size: 1, idleTimeoutMs: Infinity });
    try {
      taker.warm();
      assert.equal(taker.stats.workers, 1);
      assert.equal(await taker.run<number>(task("double"), [6]), 12);
    } finally {
      await taker.close();
    }
    discardPrestartedWorker(); // nothing left: a no-op
    prestartPoolWorker();
    discardPrestartedWorker(); // ends the untaken worker (it would not keep the process alive either)
    const after = new WorkerPool({ size: 1 });
    try {
      assert.equal(await after.run<number>(task("double"), [7]), 14);
    } finally {
      await after.close();
    }
  });

  test("a task that throws rejects with its name, message, code and stack", async () => {
    const e = await caught(pool.run(task("fail"), ["too far"]));
    assert.equal(e.name, "RangeError");
    assert.equal(e.message, "too far");
    assert.equal(e.code, "E_FIXTURE");
    assert.match(String(e.stack), /pool_tasks\.ts/);
    const later = await caught(pool.run(task("failLater"), ["later"]));
    assert.equal(later.name, "TypeError");
    assert.equal(later.message, "later");
  });

  test("a missing export or a relative module path rejects with PoolTaskModuleError", async () => {
    await assert.rejects(pool.run(task("nope")), (e: Error) => {
      assert.ok(e instanceof PoolTaskModuleError || e.name === "PoolTaskModuleError");
      assert.match(e.message, /no exported function "nope"/);
      return true;
    });
    await assert.rejects(
      pool.run({ module: "./fixtures/pool_tasks.ts", export: "double" }),
      PoolTaskModuleError,
    );
  });

  test("a result that cannot be cloned rejects with a clear error, and the worker keeps serving", async () => {
    await assert.rejects(pool.run(task("returnsFunction")), /cannot be sent to the main thread/);
    assert.equal(await pool.run(task("double"), [5]), 10);
  });

  test("transfer moves argument buffers; whole result buffers come back moved, kept ones copied", async () => {
    const bytes = new Uint8Array(1024).fill(1);
    const sent = pool.run<number>(task("byteLength"), [bytes], { transfer: [bytes.buffer] });
    assert.equal(bytes.byteLength, 0, "the sent buffer is detached on this side");
    assert.equal(await sent, 1024);

    {
      const moved = await single.run<Uint8Array>(task("makeBytes"), [300]);
      assert.equal(moved.length, 300);
      assert.equal(moved[299], 299 & 0xff);
      assert.equal(await single.run(task("lastReturnedLength")), 0, "the worker's copy was moved away");
      const kept = await single.run<{ bytes: Uint8Array }>(task("makeBytesKept"), [50]);
      assert.equal(kept.bytes.length, 50);
      assert.equal(kept.bytes[0], 7);
      assert.equal(await single.run(task("lastReturnedLength")), 50, "transferResult(v, []) copies");
    }
  });

  test("arguments that cannot be cloned reject with a clear error, and the worker keeps serving", async () => {
    await assert.rejects(
      pool.run(task("double"), [() => 1]),
      /arguments of pool task .*#double cannot be sent/,
    );
    assert.equal(await pool.run(task("double"), [6]), 12);
  });

  test("a task module that statically imports npm:yaml runs in a worker", async () => {
    assert.deepEqual(await pool.run(task("parseYaml"), ["a: [1, 2]\nb: text"]), { a: [1, 2], b: "text" });
  });
  describe("queueing and cancellation", () => {
    test("tasks wait in FIFO order when every worker is busy", async () => {
      const flag = new Int32Array(new SharedArrayBuffer(8));
      const blocker = single.run(task("blockUntilReleased"), [flag.buffer]);
      const order: number[] = [];
      const queued = [1, 2, 3].map((i) => single.run(task("echoLater"), [i]).then(() => order.push(i)));
      await waitForFlag(flag, 0);
      assert.equal(single.stats.queued, 3);
      release(flag);
      await Promise.all([blocker, ...queued]);
      assert.deepEqual(order, [1, 2, 3]);
    });

    test("aborting a queued task removes it; aborting before run rejects at once", async () => {
      const flag = new Int32Array(new SharedArrayBuffer(8));
      const blocker = single.run(task("blockUntilReleased"), [flag.buffer]);
      const ac = new AbortController();
      const queued = single.run(task("double"), [1], { signal: ac.signal });
      assert.equal(single.stats.queued, 1);
      ac.abort(new Error("not needed"));
      await assert.rejects(queued, /not needed/);
      assert.equal(single.stats.queued, 0);
      release(flag);
      assert.equal(await blocker, "released");
      await assert.rejects(single.run(task("double"), [1], { signal: ac.signal }), /not needed/);
      assert.equal(single.stats.crashed, 0);
    });

    test("aborting a running task terminates its worker, rejects with the reason, and a new worker serves", async () => {
      const first = await single.run<string>(task("whoAmI"));
      const flag = new Int32Array(new SharedArrayBuffer(8));
      const ac = new AbortController();
      const running = single.run(task("blockUntilReleased"), [flag.buffer], { signal: ac.signal });
      const next = single.run<string>(task("whoAmI"));
      await waitForFlag(flag, 0);
      ac.abort(new Error("stop it"));
      await assert.rejects(running, /stop it/);
      const second = await next;
      assert.notEqual(second, first, "the queued task ran on a replacement worker");
    });
  });

  describe("crashes and close", () => {
    for (const crash of ["crashByExit", "crashByClose", "crashOutside", "crashByUnhandledRejection"]) {
      test(`${crash}: the task fails with WorkerCrashedError and the pool keeps working`, async () => {
        const before = await single.run<string>(task("whoAmI"));
        const crashes = single.stats.crashed;
        const e = await caught(single.run(task(crash)));
        assert.ok(e instanceof WorkerCrashedError, `got ${e}`);
        assert.match(e.message, new RegExp(`#${crash} crashed`));
        assert.equal(single.stats.crashed, crashes + 1);
        assert.notEqual(await single.run<string>(task("whoAmI")), before);
        assert.equal(await single.run(task("double"), [4]), 8);
      });
    }

    test("close() rejects running and queued tasks, leaves no workers, and refuses new tasks", async () => {
      const pool = new WorkerPool({ size: 1 });
      const flag = new Int32Array(new SharedArrayBuffer(8));
      const running = pool.run(task("blockUntilReleased"), [flag.buffer]);
      const queued = pool.run(task("double"), [1]);
      await waitForFlag(flag, 0);
      assert.equal(pool.stats.workers, 1);
      await pool.close();
      await assert.rejects(running, PoolClosedError);
      await assert.rejects(queued, PoolClosedError);
      assert.deepEqual(pool.stats, { workers: 0, busy: 0, queued: 0, crashed: 0 });
      await assert.rejects(pool.run(task("double"), [1]), PoolClosedError);
    });
  });
});

describe("WorkerPool without workers", () => {
  test("runs tasks on the event loop and says so once", async () => {
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => void warnings.push(a.join(" "));
    const pool = new WorkerPool({ useWorkers: false });
    try {
      assert.equal(pool.usesWorkers, false);
      assert.equal(await pool.run(task("double"), [8]), 16);
      assert.deepEqual(await pool.run(task("makeBytesKept"), [2]), { bytes: new Uint8Array([7, 7]) });
      await assert.rejects(pool.run(task("fail"), ["x"]), RangeError);
      const ac = new AbortController();
      const slow = pool.run(task("never"), [], { signal: ac.signal });
      ac.abort(new Error("gone"));
      await assert.rejects(slow, /gone/);
    } finally {
      console.warn = warn;
      await pool.close();
    }
    assert.deepEqual(warnings, ["sluice: no Worker here, running pool tasks on the event loop"]);
  });
});

describe("WorkerPool and process exit", () => {
  test("a script that never closes its pool still exits once the pool is idle", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-pool-"));
    try {
      const script = path.join(dir, "forgets_close.ts");
      const poolUrl = new URL("../engine/kernel/worker_pool.ts", import.meta.url).href;
      await writeFile(
        script,
        `import { WorkerPool } from ${JSON.stringify(poolUrl)};\n` +
          `const pool = new WorkerPool({ size: 2 });\n` +
          `console.log(await pool.run({ module: ${JSON.stringify(TASKS.href)}, export: "double" }, [21]));\n`,
      );
      const args = runtime.name === "bun" ? [script] : ["run", "-A", script];
      const repo = fileURLToPath(new URL("..", import.meta.url));
      const out = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, args, { cwd: repo, timeout: 20_000 }, (err, stdout) => {
          if (err) reject(err);
          else resolve(stdout);
        });
      });
      assert.equal(out.trim(), "42");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
