/**
 * Figures for the general pipeline language (issue 15), printed, never asserted:
 *
 * 1. A `read` -> `map` (module function on the pool) -> `write` run over a 1 GB JSON-lines file: wall time and
 *    the peak resident memory of the process (workers included: they are threads of it).
 * 2. A `map` of a module function over 100k small items on the pool (batched round trips) against the same
 *    map on the event loop.
 *
 * @example
 * ```sh
 * deno run -A bench/lang_bench.ts              # 1 GB and 100k items
 * bun bench/lang_bench.ts --mb 100             # a smaller file
 * deno run -A bench/lang_bench.ts --mb 100 --items 0 --loop   # the map on the loop, for comparison
 * ```
 * @module
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  fromIterable,
  moduleMap,
  pipeline,
  runPipeline,
  silentLogger,
  sink,
  source,
} from "../engine/pipeline/mod.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { readRecords } from "../lib/records/mod.ts";
import { writeRecords } from "../stages/write.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const megabytes = arg("mb", 1024);
const items = arg("items", 100_000);
const bigPlacement = process.argv.includes("--loop") ? "loop" : "pool";
const tasks = new URL("./lang_tasks.ts", import.meta.url).href;
const quiet = { logger: silentLogger, measureLag: false };
const execFileAsync = promisify(execFile);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** Writes the input in a child process (see `lang_input.ts`) and returns how many records it holds. */
async function writeInput(file: string, mb: number): Promise<number> {
  const [command, ...args] = runtime.scriptCommand(
    fileURLToPath(new URL("./lang_input.ts", import.meta.url)),
  );
  const { stdout } = await execFileAsync(command, [...args, file, String(mb)]);
  return Number(stdout.trim());
}

async function bigFile(dir: string): Promise<void> {
  const input = path.join(dir, "in.jsonl");
  const output = path.join(dir, "out.jsonl");
  const records = await writeInput(input, megabytes);
  const before = runtime.memoryRss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, runtime.memoryRss())), 50);
  const t0 = performance.now();
  const summary = await runPipeline(
    pipeline(source(() => readRecords(input, { format: "jsonl" }), { name: "read" }))
      .pipe(
        moduleMap({ module: tasks, export: "enrich" }, {
          name: "map",
          placement: "pool",
          concurrency: 128,
          ordered: true,
        }),
      )
      .to(writeRecords(output, { format: "jsonl", mode: "replace" })),
    quiet,
  );
  clearInterval(sampler);
  peak = Math.max(peak, runtime.memoryRss());
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `read -> map(${bigPlacement}) -> write, ${mb((await stat(input)).size)} (${records} records): ${
      seconds.toFixed(1)
    } s, ` +
      `peak RSS ${mb(peak)} (${mb(before)} before the run), ok ${summary.ok}, out ${
        mb((await stat(output)).size)
      }`,
  );
}

async function roundTrips(): Promise<void> {
  const run = async (placement: "loop" | "pool") => {
    let n = 0;
    const t0 = performance.now();
    await runPipeline(
      pipeline(fromIterable(Array.from({ length: items }, (_, i) => i)))
        .pipe(
          moduleMap<number, number>({ module: tasks, export: "double" }, {
            placement,
            concurrency: 128,
            ordered: true,
          }),
        )
        .to(sink(() => void n++)),
      quiet,
    );
    return performance.now() - t0;
  };
  await run("pool"); // warm: the worker started, the module imported, the JIT warm
  await run("loop");
  const loop = await run("loop");
  const pool = await run("pool");
  console.log(
    `map over ${items} small items: loop ${loop.toFixed(0)} ms, pool ${pool.toFixed(0)} ms, ` +
      `pool/loop ${(pool / loop).toFixed(2)}x`,
  );
}

const dir = await mkdtemp(path.join(tmpdir(), "sluice-lang-bench-"));
try {
  console.log(`${runtime.name}, ${runtime.cpuCount} cores`);
  if (megabytes > 0) await bigFile(dir);
  if (items > 0) await roundTrips();
} finally {
  await rm(dir, { recursive: true, force: true });
}
