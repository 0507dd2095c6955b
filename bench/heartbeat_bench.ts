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
 * deno run -A bench/heartbeat_bench.ts --total-ms 5000 --chunk-ms 100 --runs 5
 * ```
 * @module
 */
import process from "node:process";
import { setImmediate } from "node:timers";
import { WorkerPool } from "../engine/kernel/worker_pool.ts";
import { type LagStats, startLoopLagMonitor } from "../engine/placement/loop_lag.ts";
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

/** One scenario's figures over all runs: medians of p50 and p99, the largest max, beats and wall summed. */
interface Row {
  name: string;
  runs: (LagStats & { wallMs: number })[];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(): Promise<void> {
  const chunkMs = option("--chunk-ms", 70);
  const totalMs = option("--total-ms", 2500);
  const runs = option("--runs", 3);
  const perRep = calibrate();
  const reps = Math.max(1, Math.round(chunkMs / perRep));
  const chunks = Math.max(2, Math.round(totalMs / chunkMs));
  const task = { module: new URL(import.meta.url), export: "cpuChunk" };
  const rows: Row[] = [
    { name: "idle (timer only)", runs: [] },
    { name: "job on the loop", runs: [] },
    { name: "job on the pool (1 worker)", runs: [] },
    { name: "job on the pool (2 workers)", runs: [] },
  ];
  const pools = [new WorkerPool({ size: 1 }), new WorkerPool({ size: 2 })];
  // Keeps the process alive while only unref'ed timers are pending (the heartbeat is unref'ed).
  const keepAlive = setInterval(() => {}, 1000);
  try {
    for (const [i, pool] of pools.entries()) {
      await Promise.all(Array.from({ length: i + 1 }, () => pool.run(task, [reps]))); // start and warm up
    }
    for (let run = 0; run < runs; run++) {
      rows[0].runs.push(await underHeartbeat(() => new Promise((r) => setTimeout(r, totalMs))));
      rows[1].runs.push(
        await underHeartbeat(async () => {
          for (let i = 0; i < chunks; i++) {
            cpuChunk(reps);
            await yieldToLoop();
          }
        }),
      );
      for (const [i, pool] of pools.entries()) {
        rows[2 + i].runs.push(
          await underHeartbeat(async () => {
            await Promise.all(Array.from({ length: chunks }, () => pool.run(task, [reps])));
          }),
        );
      }
    }
  } finally {
    clearInterval(keepAlive);
    await Promise.all(pools.map((p) => p.close()));
  }

  console.log(
    `event-loop heartbeat (100 ms timer) on ${runtime.name}, ${runtime.cpuCount} cores: ` +
      `${chunks} chunks of ~${chunkMs} ms per run, ${runs} runs (p50/p99: median over runs; max: overall)`,
  );
  console.log("| job placement | lag p50 ms | lag p99 ms | lag max ms | beats | wall s per run |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const { name, runs: r } of rows) {
    const p50 = median(r.map((x) => x.p50));
    const p99 = median(r.map((x) => x.p99));
    const max = Math.max(...r.map((x) => x.max));
    const beats = r.reduce((n, x) => n + x.samples, 0);
    const wall = median(r.map((x) => x.wallMs)) / 1000;
    console.log(`| ${name} | ${p50} | ${p99} | ${max} | ${beats} | ${wall.toFixed(2)} |`);
  }
  const loopChunkMs = median(rows[1].runs.map((x) => x.wallMs)) / chunks;
  console.log(
    `(a chunk took ${loopChunkMs.toFixed(0)} ms on the loop; the idle row is this machine's own noise)`,
  );
}

if (import.meta.main) await main();
