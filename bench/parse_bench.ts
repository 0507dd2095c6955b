/**
 * Feed parsing throughput on a folder of real feed documents (the 200 feeds of
 * `../shared/corpus/realfeeds-200.tar.gz`, unpacked outside the repository): sluice's `parseFeed` and
 * feedsmith 3 (bytes decoded as UTF-8 first, since it takes a string) parse every document of the folder
 * once per pass after warm-up passes (`--warmup`, 4); the best pass of each is printed in MB/s and process CPU time, with the
 * ratio, the documents each threw on, and memory (heap after a pass, process RSS). Each parser runs in
 * its own worker (its own isolate), passes alternating between them: in one isolate, sluice's parser
 * measured 30-40% slower once feedsmith had been loaded and run there. With `--baseline <module>` another
 * module exporting `parseFeed` (an older copy of the parser, e.g. from `git archive`) is measured in the
 * same run, so a change is judged against its predecessor on the same noisy machine. Nothing is
 * asserted: this is not a test.
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
const ROUNDS = numberArg("--rounds", 5);
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

const parsers = [await startParser("sluice"), await startParser("feedsmith")];
if (baselinePath) {
  parsers.push(await startParser("baseline", new URL(baselinePath, `file://${process.cwd()}/`).href));
}

const best = new Map<string, PassResult>();
let peakRss = 0;
for (let round = 0; round < ROUNDS; round++) {
  // Alternating which goes first: on a busy machine the order of passes in a round showed.
  for (const parser of round % 2 ? [...parsers].reverse() : parsers) {
    const r = await parser.pass();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const prev = best.get(parser.name);
    if (!prev || r.ms < prev.ms) best.set(parser.name, r);
  }
}
for (const parser of parsers) parser.stop();

const mb = totalBytes / 1e6;
console.log(
  `parse ${documentCount} documents, ${
    mb.toFixed(1)
  } MB (${runtime.name}), best of ${ROUNDS} passes after ${WARMUP} warm-up passes, ` +
    "each parser in its own worker",
);
console.log(
  "| parser | ms/pass | MB/s | CPU ms/pass | threw on | heap after pass MB |\n|---|---:|---:|---:|---:|---:|",
);
for (const [name, r] of best) {
  console.log(
    `| ${name} | ${r.ms.toFixed(0)} | ${(mb / (r.ms / 1000)).toFixed(1)} | ${
      r.cpuMs.toFixed(0)
    } | ${r.threw.length} | ${r.heapMb.toFixed(0)} |`,
  );
}
const ours = best.get("sluice")!;
console.log(`feedsmith / sluice time: ${(best.get("feedsmith")!.ms / ours.ms).toFixed(2)}x`);
if (baselinePath) console.log(`baseline / sluice time: ${(best.get("baseline")!.ms / ours.ms).toFixed(2)}x`);
console.log(`peak RSS of the process ${(peakRss / 2 ** 20).toFixed(0)} MB`);
for (const line of ours.threw) console.log(`sluice threw: ${line}`);
