/**
 * Thread priority (Linux): the worker pool's threads run at a lower priority (a higher nice value) than
 * the event loop's thread, so the loop gets a core first; where that cannot be done (no `renice`, not
 * Linux) nothing fails and the thread keeps its priority. The thread that runs a pipeline from the CLI asks
 * for the kernel's shortest time slices, so that it preempts busy threads when it wakes.
 */
import { after, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { release } from "node:os";
import { fileURLToPath } from "node:url";
import { runtime } from "../engine/runtime/mod.ts";
import { WorkerPool } from "../engine/kernel/worker_pool.ts";
import {
  currentThreadId,
  POOL_WORKER_NICE_INCREMENT,
  threadNice,
} from "../engine/runtime/thread_priority.ts";
import { LOOP_THREAD_SLICE_NS } from "../engine/runtime/thread_slice.ts";

const TASKS = new URL("./fixtures/pool_tasks.ts", import.meta.url);
const MAIN = fileURLToPath(new URL("./fixtures/lower_priority_main.ts", import.meta.url));
const SLICE_MAIN = fileURLToPath(new URL("./fixtures/thread_slice_main.ts", import.meta.url));
const onLinux = process.platform === "linux";

/** The nice value field of `/proc/<pid>/task/<tid>/stat`, read as the kernel writes it. */
function niceFromProc(tid: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

/** Runs a fixture `file` that prints a JSON line, with `path` as its PATH. */
function runFixture<T>(file: string, path = process.env.PATH ?? "/usr/bin:/bin"): Promise<T> {
  const [cmd, ...args] = runtime.scriptCommand(file);
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
    type Lowering = { lowered: boolean; nice: number | null };
    const withRenice = await runFixture<Lowering>(MAIN);
    const without = await runFixture<Lowering>(MAIN, "/nonexistent");
    if (!onLinux) {
      assert.deepEqual([withRenice.lowered, without.lowered], [false, false]);
      return;
    }
    // The child starts at this process's nice value; the fixture raises its own by 7.
    const base = threadNice(currentThreadId()!)!;
    assert.deepEqual(withRenice, { lowered: true, nice: Math.min(19, base + 7) });
    assert.deepEqual(without, { lowered: false, nice: base });
  });

  test("a thread asks for 0.1 ms time slices (Linux 6.12+), and nothing fails where it cannot", async () => {
    const seen = await runFixture<{ taken: boolean; before: number | null; after: number | null }>(
      SLICE_MAIN,
    );
    const [major, minor] = release().split(".").map(Number);
    const kernelTakesSlices = onLinux && (major > 6 || (major === 6 && minor >= 12));
    if (!kernelTakesSlices || !["x64", "arm64"].includes(process.arch)) {
      return assert.equal(typeof seen.taken, "boolean");
    }
    assert.equal(seen.taken, true);
    // Where the kernel shows it (scheduler debugging on), the slice reads back as asked.
    if (seen.after !== null) assert.equal(seen.after, LOOP_THREAD_SLICE_NS);
  });
});
