/**
 * The event-loop heartbeat (a 100 ms timer; how late it fires: p50, p99, max) while a CPU-bound job runs
 * on the loop versus on the worker pool. The job is pure JavaScript (a JSON round trip and an FNV-1a
 * hash over a ~100 KB document), split into chunks of about 70 ms, about 2.5 s in all. Prints a table;
 * nothing is asserted. The target: p99 under 15 ms with the job on the pool.
 *
 * This file is also the pool's task module (it exports {@linkcode cpuChunk}); only the main module runs
 * the benchmark.
 *
 * @example
 * ```sh
 * deno run -A bench/heartbeat_bench.ts      # or: bun bench/heartbeat_bench.ts
 * deno run -A bench/heartbeat_bench.ts --total-ms 5000 --chunk-ms 100
 * ```
 * @module
 */
import process from "node:process";
import { setImmediate } from "node:timers";
import { WorkerPool } from "../engine/kernel/worker_pool.ts";
import { type LagStats, startLoopLagMonitor } from "../engine/scheduler/loop_lag.ts";
import { runtime } from "../engine/runtime/mod.ts";

/** The document every chunk serialises, parses and hashes (built once per thread). */
const documentText = JSON.stringify(
  Array.from({ length: 1500 }, (_, i) => ({
    id: i,
    title: `entry ${i} about ${"lorem ipsum ".repeat(3)}`,
    tags: ["a", "b", String(i % 7)],
    score: i * 1.5,
  })),
);

/**
 * One chunk of the CPU job: `reps` rounds of parse, re-serialise and hash. Returns the hash so no round
 * can be optimised away.
 *
 * @param reps rounds to run (the benchmark calibrates it to about 70 ms)
 * @returns an FNV-1a hash of the last round's text
 * @example
 * ```ts
 * import { cpuChunk } from "./heartbeat_bench.ts";
 * console.log(cpuChunk(1));
 * ```
 */
export function cpuChunk(reps: number): number {
  let hash = 0x811c9dc5;
  for (let r = 0; r < reps; r++) {
    const text = JSON.stringify(JSON.parse(documentText));
    hash = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  }
  return hash >>> 0;
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Runs `job` under a 100 ms heartbeat and returns the lag figures and the wall time. */
async function underHeartbeat(job: () => Promise<void>): Promise<LagStats & { wallMs: number }> {
  const monitor = startLoopLagMonitor({ intervalMs: 100 });
  const t0 = performance.now();
  await job();
  const wallMs = performance.now() - t0;
  return { ...monitor.stop(), wallMs };
}

/** Lets the loop run pending timers and I/O between two chunks, as a cooperative loop stage would. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Milliseconds per `cpuChunk` round once the JIT is warm (the first rounds are several times slower). */
function calibrate(): number {
  for (const end = performance.now() + 400; performance.now() < end;) cpuChunk(1);
  const t = performance.now();
  let n = 0;
  while (performance.now() - t < 300) n += (cpuChunk(1), 1);
  return (performance.now() - t) / n;
}

async function main(): Promise<void> {
  const chunkMs = option("--chunk-ms", 70);
  const totalMs = option("--total-ms", 2500);
  const perRep = calibrate();
  const reps = Math.max(1, Math.round(chunkMs / perRep));
  const chunks = Math.max(2, Math.round(totalMs / chunkMs));
  const task = { module: new URL(import.meta.url), export: "cpuChunk" };
  const rows: [string, LagStats & { wallMs: number }][] = [];

  // Keeps the process alive while only unref'ed timers are pending (the heartbeat is unref'ed).
  const keepAlive = setInterval(() => {}, 1000);
  try {
    rows.push(["idle (timer only)", await underHeartbeat(() => new Promise((r) => setTimeout(r, totalMs)))]);
    rows.push([
      "job on the loop",
      await underHeartbeat(async () => {
        for (let i = 0; i < chunks; i++) {
          cpuChunk(reps);
          await yieldToLoop();
        }
      }),
    ]);
    for (const size of [1, 2]) {
      const pool = new WorkerPool({ size });
      try {
        await Promise.all(Array.from({ length: size }, () => pool.run(task, [1]))); // start the workers
        rows.push([
          `job on the pool (${size} worker${size > 1 ? "s" : ""})`,
          await underHeartbeat(async () => {
            await Promise.all(Array.from({ length: chunks }, () => pool.run(task, [reps])));
          }),
        ]);
      } finally {
        await pool.close();
      }
    }
  } finally {
    clearInterval(keepAlive);
  }

  console.log(
    `event-loop heartbeat (100 ms timer) on ${runtime.name}, ${runtime.cpuCount} cores: ` +
      `${chunks} chunks of ~${chunkMs} ms`,
  );
  console.log("| job placement | lag p50 ms | lag p99 ms | lag max ms | beats | wall s |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const [name, s] of rows) {
    console.log(
      `| ${name} | ${s.p50} | ${s.p99} | ${s.max} | ${s.samples} | ${(s.wallMs / 1000).toFixed(2)} |`,
    );
  }
}

if (import.meta.main) await main();
