/**
 * Thread priority (Linux): the worker pool's threads run at a lower priority (a higher nice value) than
 * the event loop's thread, so the loop gets a core first; where that cannot be done (no `renice`, not
 * Linux) nothing fails and the thread keeps its priority. The thread that runs a pipeline from the CLI asks
 * for the kernel's shortest time slices, so that it preempts busy threads when it wakes; the pool's
 * threads run under SCHED_BATCH, so that they do not preempt it when they wake.
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
  POOL_WORKER_POLICY,
  threadNice,
} from "../engine/runtime/thread_priority.ts";
import { SCHED_POLICY } from "../engine/runtime/thread_policy.ts";
import { LOOP_THREAD_SLICE_NS } from "../engine/runtime/thread_slice.ts";

const TASKS = new URL("./fixtures/pool_tasks.ts", import.meta.url);
const MAIN = fileURLToPath(new URL("./fixtures/lower_priority_main.ts", import.meta.url));
const SLICE_MAIN = fileURLToPath(new URL("./fixtures/thread_slice_main.ts", import.meta.url));
const POLICY_MAIN = fileURLToPath(new URL("./fixtures/thread_policy_main.ts", import.meta.url));
const onLinux = process.platform === "linux";

/** The nice value field of `/proc/<pid>/task/<tid>/stat`, read as the kernel writes it. */
function niceFromProc(tid: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

/** The policy field of `/proc/<pid>/task/<tid>/stat` (field 41), read as the kernel writes it. */
function policyFromProc(tid: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[38]);
}

/** What `fixtures/thread_policy_main.ts` prints. */
type PolicyFixture = {
  batch: boolean;
  policy: number | null;
  missing: boolean;
  nice: number | null;
  niceBefore: number | null;
};

/** Runs a fixture under Deno with every permission but FFI (which sched_setattr needs). */
function runDenoWithoutFfi<T>(file: string): Promise<T> {
  const args = [
    "run",
    "--allow-read",
    "--allow-env",
    "--allow-run",
    "--allow-write",
    "--allow-net",
    "--allow-sys",
    file,
  ];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split("\n").pop()!));
    });
  });
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

  test("a pool worker's thread runs under SCHED_BATCH where the runtime's FFI may set it", async () => {
    const seen = await pool.run<{ tid?: number; policy?: number; lowered: boolean }>(
      { module: TASKS, export: "threadPriority" },
      [],
    );
    if (!onLinux || !runtime.setThreadPolicy || !["x64", "arm64"].includes(process.arch)) return;
    // Read from this (the loop's) thread, as any tool would: field 41 of /proc/<pid>/task/<tid>/stat.
    assert.equal(policyFromProc(seen.tid!), SCHED_POLICY[POOL_WORKER_POLICY]);
    assert.equal(seen.policy, SCHED_POLICY.batch);
    // The loop's own thread keeps the normal policy.
    assert.equal(policyFromProc(currentThreadId()!), SCHED_POLICY.normal);
  });

  test("a thread's policy is set by thread id and read back; a thread that is not there is a no-op", async () => {
    const seen = await runFixture<PolicyFixture>(POLICY_MAIN);
    if (!onLinux || !runtime.setThreadPolicy || !["x64", "arm64"].includes(process.arch)) {
      return assert.deepEqual([seen.batch, seen.missing], [false, false]);
    }
    assert.deepEqual(seen, {
      batch: true,
      policy: SCHED_POLICY.batch,
      missing: false,
      nice: seen.niceBefore,
      niceBefore: seen.niceBefore,
    });
  });

  test("without the FFI permission (Deno) no policy is set and nothing fails", async () => {
    if (runtime.name !== "deno") return;
    // Deno reads /proc/thread-self only with every permission: the policy is not read back here.
    const seen = await runDenoWithoutFfi<PolicyFixture>(POLICY_MAIN);
    assert.deepEqual([seen.batch, seen.missing], [false, false]);
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
