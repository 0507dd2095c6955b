/**
 * Feed parsing throughput on a folder of real feed documents (the 200 feeds of
 * `../shared/corpus/realfeeds-200.tar.gz`, unpacked outside the repository): sluice's `parseFeed` and
 * feedsmith 3 (bytes decoded as UTF-8 first, since it takes a string) parse every document of the folder
 * per pass, alternating passes, after a warm-up; the best pass of each is printed in MB/s with the ratio,
 * the documents each threw on, and memory (heap after a pass, process RSS). With `--baseline <module>`
 * another module exporting `parseFeed` (an older copy of the parser, e.g. from `git archive`) is measured
 * in the same run, so a change is judged against its predecessor on the same noisy machine. Nothing is
 * asserted: this is not a test.
 *
 * @example
 * ```sh
 * tar -xzf ../shared/corpus/realfeeds-200.tar.gz -C /tmp
 * deno run -A bench/parse_bench.ts /tmp/realfeeds-200            # or: bun bench/parse_bench.ts ...
 * deno run -A bench/parse_bench.ts /tmp/realfeeds-200 --rounds 7 --baseline /tmp/old/lib/feed/mod.ts
 * ```
 * @module
 */
import process from "node:process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseFeed as feedsmithParse } from "npm:feedsmith@^3.0.1";
import { parseFeed } from "../lib/feed/mod.ts";
import { runtime } from "../engine/runtime/mod.ts";

type Parse = (bytes: Uint8Array, name: string) => unknown;

const folder = process.argv.slice(2).find((a, i, all) =>
  !a.startsWith("--") && !all[i - 1]?.startsWith("--")
);
if (folder === undefined) {
  console.error(
    "usage: bench/parse_bench.ts <folder of feed documents> [--rounds N] [--baseline module]\n" +
      "  get the corpus with: tar -xzf ../shared/corpus/realfeeds-200.tar.gz -C /tmp",
  );
  process.exit(2);
}
const ROUNDS = numberArg("--rounds", 5);
const baselinePath = stringArg("--baseline");

function numberArg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

function stringArg(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

const documents = readdirSync(folder)
  .filter((name) => !/licen[cs]e|readme/i.test(name) && statSync(join(folder, name)).isFile())
  .sort()
  .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(folder, name))) }));
const totalBytes = documents.reduce((n, d) => n + d.bytes.byteLength, 0);

const candidates: Array<[string, Parse]> = [
  ["sluice", (bytes, name) => parseFeed(bytes, { url: `https://bench.example/${name}` })],
  ["feedsmith", (bytes) => feedsmithParse(new TextDecoder().decode(bytes))],
];
if (baselinePath) {
  const url = new URL(baselinePath, `file://${process.cwd()}/`);
  const baseline = (await import(url.href)).parseFeed as (b: Uint8Array, o: { url: string }) => unknown;
  candidates.push(["baseline", (bytes, name) => baseline(bytes, { url: `https://bench.example/${name}` })]);
}

interface Pass {
  ms: number;
  /** Process CPU time of the pass (GC threads included): steadier than wall time on a shared machine. */
  cpuMs: number;
  threw: string[];
}

function pass(parse: Parse): Pass {
  const threw: string[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const { name, bytes } of documents) {
    try {
      parse(bytes, name);
    } catch (e) {
      threw.push(`${name}: ${(e as Error).message.slice(0, 120)}`);
    }
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, threw };
}

for (const [, parse] of candidates) pass(parse);

const best = new Map<string, Pass & { heapMb: number }>();
let peakRss = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, parse] of candidates) {
    const r = pass(parse);
    const memory = process.memoryUsage();
    peakRss = Math.max(peakRss, memory.rss);
    const prev = best.get(name);
    if (!prev || r.ms < prev.ms) best.set(name, { ...r, heapMb: memory.heapUsed / 2 ** 20 });
  }
}

const mb = totalBytes / 1e6;
console.log(
  `parse ${documents.length} documents, ${mb.toFixed(1)} MB (${runtime.name}), best of ${ROUNDS} passes`,
);
console.log(
  "| parser | ms/pass | MB/s | CPU ms/pass | threw on | heap after pass MB |\n|---|---:|---:|---:|---:|---:|",
);
for (const [name, r] of best) {
  console.log(
    `| ${name} | ${r.ms.toFixed(0)} | ${(mb / (r.ms / 1000)).toFixed(1)} | ${r.cpuMs.toFixed(0)} | ${r.threw.length} | ${
      r.heapMb.toFixed(0)
    } |`,
  );
}
const ours = best.get("sluice")!;
console.log(`feedsmith / sluice time: ${(best.get("feedsmith")!.ms / ours.ms).toFixed(2)}x`);
if (baselinePath) console.log(`baseline / sluice time: ${(best.get("baseline")!.ms / ours.ms).toFixed(2)}x`);
console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB`);
for (const line of ours.threw) console.log(`sluice threw: ${line}`);
