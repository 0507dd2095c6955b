/**
 * Thread priority (Linux): the worker pool's threads run at a lower priority (a higher nice value) than
 * the event loop's thread, so the loop gets a core first; where that cannot be done (no `renice`, not
 * Linux) nothing fails and the thread keeps its priority.
 */
import { after, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "../engine/runtime/mod.ts";
import { WorkerPool } from "../engine/kernel/worker_pool.ts";
import {
  currentThreadId,
  POOL_WORKER_NICE_INCREMENT,
  threadNice,
} from "../engine/runtime/thread_priority.ts";

const TASKS = new URL("./fixtures/pool_tasks.ts", import.meta.url);
const MAIN = fileURLToPath(new URL("./fixtures/lower_priority_main.ts", import.meta.url));
const onLinux = process.platform === "linux";

/** The nice value field of `/proc/<pid>/task/<tid>/stat`, read as the kernel writes it. */
function niceFromProc(tid: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

/** Runs the fixture that lowers its own main thread's priority, with `path` as its PATH. */
function runLowering(path: string): Promise<{ lowered: boolean; nice: number | null }> {
  const [cmd, ...args] = runtime.scriptCommand(MAIN);
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: { ...process.env, PATH: path }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split("\n").pop()!));
    });
  });
}

describe("thread priority", () => {
  const pool = new WorkerPool({ size: 1 });
  after(() => pool.close());

  test("a pool worker's thread runs at a nice value 10 above the event loop's", async () => {
    const seen = await pool.run<{ tid?: number; nice?: number; lowered: boolean }>(
      { module: TASKS, export: "threadPriority" },
      [],
    );
    if (!onLinux) return assert.equal(seen.lowered, false);
    assert.equal(seen.lowered, true);
    assert.ok(seen.tid !== undefined && seen.tid !== currentThreadId());
    // Read from this (the loop's) thread, as any tool would: /proc/<pid>/task/<tid>/stat.
    // The loop's thread keeps the process's nice value (0, or 10 under `nice -n 10`); the worker's is 10 more.
    const loopNice = threadNice(currentThreadId()!)!;
    const expected = Math.min(19, loopNice + POOL_WORKER_NICE_INCREMENT);
    assert.ok(expected > loopNice);
    assert.equal(niceFromProc(seen.tid), expected);
    assert.equal(seen.nice, expected);
  });

  test("a thread lowers its own priority without privilege, and nothing fails without renice", async () => {
    const withRenice = await runLowering(process.env.PATH ?? "/usr/bin:/bin");
    const without = await runLowering("/nonexistent");
    if (!onLinux) {
      assert.deepEqual([withRenice.lowered, without.lowered], [false, false]);
      return;
    }
    // The child starts at this process's nice value; the fixture raises its own by 7.
    const base = threadNice(currentThreadId()!)!;
    assert.deepEqual(withRenice, { lowered: true, nice: Math.min(19, base + 7) });
    assert.deepEqual(without, { lowered: false, nice: base });
  });
});
