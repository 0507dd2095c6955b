/**
 * The worker pool's round trip: a tiny task (`double`) sent through a pool of 2 workers, measured
 * pipelined (all tasks in flight at once, as a pipeline stage does) and one at a time (latency). Prints a
 * table of microseconds per task; nothing is asserted.
 *
 * @example
 * ```sh
 * deno run -A bench/pool_bench.ts            # or: bun bench/pool_bench.ts
 * deno run -A bench/pool_bench.ts --tasks 50000
 * ```
 * @module
 */
import process from "node:process";
import { WorkerPool } from "../engine/kernel/worker_pool.ts";
import { runtime } from "../engine/runtime/mod.ts";

const argTasks = process.argv.indexOf("--tasks");
const TASKS = argTasks > 0 ? Number(process.argv[argTasks + 1]) : 10_000;
const SEQUENTIAL = Math.min(TASKS, 2_000);
const task = { module: new URL("../tests/fixtures/pool_tasks.ts", import.meta.url), export: "double" };

/** Microseconds per task for `n` tasks all in flight. */
async function pipelined(pool: WorkerPool, n: number): Promise<number> {
  const t0 = performance.now();
  const all: Promise<number>[] = [];
  for (let i = 0; i < n; i++) all.push(pool.run<number>(task, [i]));
  const out = await Promise.all(all);
  const us = ((performance.now() - t0) * 1000) / n;
  if (out[n - 1] !== (n - 1) * 2) throw new Error("wrong result");
  return us;
}

/** Microseconds per task for `n` tasks, each awaited before the next. */
async function oneAtATime(pool: WorkerPool, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await pool.run<number>(task, [i]);
  return ((performance.now() - t0) * 1000) / n;
}

const rows: [string, string][] = [];
for (const size of [1, 2]) {
  const pool = new WorkerPool({ size });
  try {
    await pipelined(pool, 2_000); // warm up: workers started, module imported, JIT warm
    rows.push([`pipelined, ${TASKS} tasks, ${size} worker(s)`, (await pipelined(pool, TASKS)).toFixed(1)]);
    rows.push([
      `one at a time, ${SEQUENTIAL} tasks, ${size} worker(s)`,
      (await oneAtATime(pool, SEQUENTIAL)).toFixed(1),
    ]);
  } finally {
    await pool.close();
  }
}

console.log(`pool round trip (${runtime.name}), microseconds per task`);
console.log("| case | us/task |\n|---|---:|");
for (const [name, us] of rows) console.log(`| ${name} | ${us} |`);
