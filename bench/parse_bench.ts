/**
 * Feed parsing throughput on a folder of real feed documents (the 200 feeds of
 * `../shared/corpus/realfeeds-200.tar.gz`, unpacked outside the repository): sluice's `parseFeed` and
 * feedsmith 3 (bytes decoded as UTF-8 first, since it takes a string) parse every document of the folder
 * once per pass. Each parser runs in its own worker (its own isolate: in one isolate, sluice's parser
 * measured 30-40% slower once feedsmith had been loaded and run there), warms up (`--warmup`, 4 passes),
 * then the run goes in rounds (`--rounds`, 9): one pass of each parser a round, next to each other, the
 * order alternating (ABAB, then BABA), so that the two passes of a round saw the same load. Printed: the
 * median and range of each parser's pass time (wall and process CPU), and the median and range of the
 * per-round ratio feedsmith / sluice, the figure a noisy machine cannot decide with one lucky pass; also
 * the documents each threw on, memory (heap after a pass, process RSS) and the minor page faults of a
 * pass (a figure the machine's load does not change: 3x in a process where V8 had pretenured the parser's
 * tree, see lib/feed/xml.ts). With `--baseline <module>` another module exporting `parseFeed` (an older
 * copy of the parser, e.g. from `git archive`) is measured in the same rounds, so a change is judged
 * against its predecessor on the same noisy machine. Nothing is asserted: this is not a test.
 *
 * @example
 * ```sh
 * tar -xzf ../shared/corpus/realfeeds-200.tar.gz -C /tmp
 * deno run -A bench/parse_bench.ts /tmp/realfeeds-200   # or: bun bench/parse_bench.ts ...
 * deno run -A bench/parse_bench.ts /tmp/realfeeds-200 --baseline /tmp/old/lib/feed/mod.ts
 * ```
 * @module
 */
import process from "node:process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { PassResult } from "./parse_bench_worker.ts";
import { runtime } from "../engine/runtime/mod.ts";

const folder = process.argv.slice(2).find((a, i, all) =>
  !a.startsWith("--") && !all[i - 1]?.startsWith("--")
);
if (folder === undefined) {
  console.error(
    "usage: bench/parse_bench.ts <folder of feed documents> [--rounds N] [--warmup N] [--baseline module]\n" +
      "  get the corpus with: tar -xzf ../shared/corpus/realfeeds-200.tar.gz -C /tmp",
  );
  process.exit(2);
}
const ROUNDS = numberArg("--rounds", 9);
const WARMUP = numberArg("--warmup", 4);
const baselinePath = stringArg("--baseline");

function numberArg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

function stringArg(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

const totalBytes = readdirSync(folder)
  .filter((name) => !/licen[cs]e|readme/i.test(name))
  .map((name) => statSync(join(folder, name)))
  .filter((s) => s.isFile())
  .reduce((n, s) => n + s.size, 0);
const documentCount = readdirSync(folder).filter((name) => !/licen[cs]e|readme/i.test(name)).length;

/** A parser in its own worker: `pass()` runs one timed pass there. */
async function startParser(parser: string, module?: string) {
  const worker = new Worker(new URL("./parse_bench_worker.ts", import.meta.url), { type: "module" });
  let answer: (value: unknown) => void = () => {};
  let fail: (error: unknown) => void = () => {};
  worker.onmessage = (event) => answer(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    fail(new Error(`the ${parser} worker failed: ${event.message}`));
  };
  const next = () =>
    new Promise<unknown>((resolve, reject) => {
      answer = resolve;
      fail = reject;
    });
  const ready = next();
  worker.postMessage({ parser, folder, module, warmup: WARMUP });
  await ready;
  return {
    name: parser,
    pass: () => {
      const result = next();
      worker.postMessage("pass");
      return result as Promise<PassResult>;
    },
    stop: () => worker.terminate(),
  };
}

// The first worker a process starts runs slower than the others (Deno 2.9): with the same parser loaded
// twice, as "sluice" and as the baseline, whichever was started first took 1.2-2x the time of the other
// (median of 7 rounds, CPU and wall; three runs, the first worker sluice's twice, the baseline's once). A
// worker that does nothing is started first, so that no parser is that worker; the same check then gave
// 1.03x (CPU) and 1.15x (wall).
const idle = new Worker(new URL("./parse_bench_worker.ts", import.meta.url), { type: "module" });
const parsers = [await startParser("sluice"), await startParser("feedsmith")];
if (baselinePath) {
  parsers.push(await startParser("baseline", new URL(baselinePath, `file://${process.cwd()}/`).href));
}

/** Each parser's passes in round order: round r's passes ran next to each other. */
const passes = new Map<string, PassResult[]>(parsers.map((p) => [p.name, []]));
let peakRss = 0;
for (let round = 0; round < ROUNDS; round++) {
  // ABAB, then BABA: each round runs every parser once, next to each other, the order alternating (on a
  // busy machine the order of passes in a round showed), so a round's ratio compares passes that saw
  // the same load.
  for (const parser of round % 2 ? [...parsers].reverse() : parsers) {
    const r = await parser.pass();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    passes.get(parser.name)!.push(r);
  }
}
for (const parser of parsers) parser.stop();
idle.terminate();

/** The median of `values` (the mean of the middle two when their count is even). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `median (min-max)` of `values`, each with `digits` decimals and `unit` after it. */
function spread(values: number[], digits: number, unit = ""): string {
  const f = (v: number) => `${v.toFixed(digits)}${unit}`;
  return `${f(median(values))} (${f(Math.min(...values))}-${f(Math.max(...values))})`;
}

/** The runtime's version, as node:process reports it in both. */
function versionOf(): string {
  const versions = process.versions as Record<string, string | undefined>;
  return versions[runtime.name] ?? process.version;
}

const mb = totalBytes / 1e6;
console.log(
  `parse ${documentCount} documents, ${mb.toFixed(1)} MB (${runtime.name} ${versionOf()}), ` +
    `${ROUNDS} rounds after ${WARMUP} warm-up passes, each parser in its own worker, one pass of each a round`,
);
console.log(
  "| parser | ms/pass median (min-max) | MB/s (median) | CPU ms/pass median (min-max) | threw on | heap after pass MB | page faults/pass median (min-max) |\n" +
    "|---|---:|---:|---:|---:|---:|---:|",
);
for (const [name, results] of passes) {
  const ms = results.map((r) => r.ms);
  const last = results[results.length - 1];
  console.log(
    `| ${name} | ${spread(ms, 0)} | ${(mb / (median(ms) / 1000)).toFixed(1)} | ${
      spread(results.map((r) => r.cpuMs), 0)
    } | ${last.threw.length} | ${last.heapMb.toFixed(0)} | ${
      last.faults < 0 ? "n/a" : spread(results.map((r) => r.faults / 1000), 1, "k")
    } |`,
  );
}
const ours = passes.get("sluice")!;
/** Per round, `other`'s time over sluice's: wall and CPU. */
function ratios(other: string): { wall: number[]; cpu: number[] } {
  const theirs = passes.get(other)!;
  return {
    wall: theirs.map((r, i) => r.ms / ours[i].ms),
    cpu: theirs.map((r, i) => r.cpuMs / ours[i].cpuMs),
  };
}
for (const other of baselinePath ? ["feedsmith", "baseline"] : ["feedsmith"]) {
  const { wall, cpu } = ratios(other);
  console.log(
    `${other} / sluice per round, median (min-max) of ${ROUNDS}: wall ${spread(wall, 2, "x")}, CPU ${
      spread(cpu, 2, "x")
    }`,
  );
}
console.log(`peak RSS of the process ${(peakRss / 2 ** 20).toFixed(0)} MB`);
for (const line of ours[ours.length - 1].threw) console.log(`sluice threw: ${line}`);
