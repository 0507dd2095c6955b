/**
 * go() and TaskGroup: results and failures propagate, the first error cancels the others, the limit
 * bounds concurrency, and a parent signal cancels the group.
 */
import { describe, test } from "./support/testing.ts";
import { CLI_CHILD_TIMEOUT_MS } from "./support/cli_child.ts";
import assert from "node:assert/strict";
import process from "node:process";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { runtime } from "../engine/runtime/mod.ts";
import { go } from "../engine/kernel/go.ts";
import { TaskGroup } from "../engine/kernel/task_group.ts";
import { Event } from "../engine/kernel/event.ts";

/** Resolves when `signal` aborts (and rejects with its reason, as a cancellable task would). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

describe("go", () => {
  test("runs the task after the caller continues and returns its result", async () => {
    const order: string[] = [];
    const p = go(() => {
      order.push("task");
      return 42;
    });
    order.push("caller");
    assert.equal(await p, 42);
    assert.deepEqual(order, ["caller", "task"]);
    await assert.rejects(go(() => Promise.reject(new Error("boom"))), /boom/);
  });

  test("an unhandled failure is reported by the runtime, not swallowed (child process exits non-zero)", async () => {
    const script = path.join(await mkdtemp(path.join(tmpdir(), "sluice-go-")), "unhandled.ts");
    const goUrl = new URL("../engine/kernel/go.ts", import.meta.url).href;
    await writeFile(
      script,
      `import { go } from ${JSON.stringify(goUrl)};\ngo(() => { throw new Error("nobody listens"); });\n`,
    );
    try {
      const args = runtime.name === "deno" ? ["run", "-A", script] : [script];
      const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          args,
          { timeout: CLI_CHILD_TIMEOUT_MS, killSignal: "SIGKILL" },
          (err, _stdout, stderr) => {
            resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stderr });
          },
        );
      });
      assert.notEqual(code, 0);
      assert.match(stderr, /nobody listens/);
    } finally {
      await rm(path.dirname(script), { recursive: true, force: true });
    }
  });
});

describe("TaskGroup", () => {
  test("wait resolves when every task has finished", async () => {
    const group = new TaskGroup();
    const done: number[] = [];
    for (let i = 0; i < 5; i++) group.go(() => void done.push(i));
    await group.wait();
    assert.equal(done.length, 5);
    assert.equal(group.size, 0);
    assert.equal(group.signal.aborted, false);
  });

  test("the first error aborts the group's signal, stops the others, and wait rejects with it", async () => {
    const group = new TaskGroup();
    const started = new Event();
    let stopped = 0;
    for (let i = 0; i < 3; i++) {
      group.go(async (signal) => {
        started.set();
        await untilAborted(signal).catch((e) => {
          stopped++;
          throw e;
        });
      });
    }
    group.go(async () => {
      await started.wait();
      throw new Error("first failure");
    });
    await assert.rejects(group.wait(), /first failure/);
    assert.equal(stopped, 3);
    assert.equal(group.signal.aborted, true);
    assert.match(String(group.signal.reason), /first failure/);
  });

  test("limit bounds concurrency and starts queued tasks in order", async () => {
    const group = new TaskGroup({ limit: 2 });
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const release = new Event();
    for (let i = 0; i < 6; i++) {
      group.go(async () => {
        order.push(i);
        peak = Math.max(peak, ++running);
        await release.wait();
        running--;
      });
    }
    assert.equal(group.size, 6);
    release.set();
    await group.wait();
    assert.equal(peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
  });

  test("a failure under a limit drops the queued tasks", async () => {
    const group = new TaskGroup({ limit: 1 });
    const ran: number[] = [];
    group.go(() => Promise.reject(new Error("fail fast")));
    for (let i = 0; i < 3; i++) group.go(() => void ran.push(i));
    await assert.rejects(group.wait(), /fail fast/);
    assert.deepEqual(ran, []);
  });

  test("aborting the parent signal cancels the group", async () => {
    const parent = new AbortController();
    const group = new TaskGroup({ signal: parent.signal });
    const started = new Event();
    group.go(async (signal) => {
      started.set();
      await untilAborted(signal);
    });
    await started.wait();
    parent.abort(new Error("shutdown"));
    await assert.rejects(group.wait(), /shutdown/);
    assert.equal(group.signal.aborted, true);
  });

  test("cancel aborts running tasks; a cancelled group starts no new task", async () => {
    const group = new TaskGroup();
    let sawReason: unknown;
    group.go(async (signal) => {
      await untilAborted(signal).catch((e) => (sawReason = e));
    });
    await Promise.resolve();
    group.cancel("stop");
    await group.wait();
    assert.equal(sawReason, "stop");
    let ran = false;
    await group.go(() => void (ran = true));
    await group.wait();
    assert.equal(ran, false);
  });
});
