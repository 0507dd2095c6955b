/**
 * One parser of `bench/parse_bench.ts` in its own worker (its own isolate: JIT, heap and GC), so what
 * one parser does to the engine cannot slow another. It loads the documents once, then answers each
 * `"pass"` message with one timed pass over all of them.
 *
 * @example
 * ```ts ignore
 * const worker = new Worker(new URL("./parse_bench_worker.ts", import.meta.url), { type: "module" });
 * worker.postMessage({ parser: "sluice", folder: "/tmp/realfeeds-200" });
 * ```
 * @module
 */
// Bun applies bunfig's preload to the main thread only: a worker registers the npm: plugin itself (it does
// nothing under Deno), before its dynamic import of feedsmith.
import "../engine/runtime/bun_npm_plugin.ts";
import process from "node:process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** What one pass measured. */
export interface PassResult {
  ms: number;
  /** Process CPU time of the pass (GC threads included; the other workers are idle meanwhile). */
  cpuMs: number;
  /** `name: message` of each document the parser threw on. */
  threw: string[];
  /** This worker's heap after the pass, MB. */
  heapMb: number;
  /**
   * Minor page faults of the process during the pass (the other workers are idle meanwhile), -1 where
   * `/proc/self/stat` is not there: unlike time, a machine's load does not change it. A parser whose
   * objects V8 pretenured faulted 3x as often (fresh old-generation pages every pass).
   */
  faults: number;
}

/** The process's minor page faults so far (field 10 of `/proc/self/stat`), or NaN off Linux. */
function minorFaults(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
  } catch {
    return NaN;
  }
}

type Parse = (bytes: Uint8Array, name: string) => unknown;

async function parserFor(parser: string, module?: string): Promise<Parse> {
  if (parser === "feedsmith") {
    const { parseFeed: feedsmith } = await import("npm:feedsmith@^3.0.1");
    return (bytes) => feedsmith(new TextDecoder().decode(bytes));
  }
  // Every parser is loaded the same way, by a dynamic import into a worker that holds nothing else: with
  // sluice's parser imported statically into every worker, an identical copy of it loaded as the baseline
  // measured 0.80x of its time (CPU, median of 7 rounds).
  const { parseFeed } = await import(module ?? new URL("../lib/feed/mod.ts", import.meta.url).href);
  const parse = parseFeed as (b: Uint8Array, o: { url: string }) => unknown;
  return (bytes, name) => parse(bytes, { url: `https://bench.example/${name}` });
}

let documents: { name: string; bytes: Uint8Array }[] = [];
let parse: Parse | undefined;

/**
 * One pass over every document. No forced collection before it: a full GC shrinks the heap, and the
 * pass then measured twice as slow while the heap grew back.
 */
function pass(): PassResult {
  const threw: string[] = [];
  const faults0 = minorFaults();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const { name, bytes } of documents) {
    try {
      parse!(bytes, name);
    } catch (e) {
      threw.push(`${name}: ${(e as Error).message.slice(0, 120)}`);
    }
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const faults = minorFaults() - faults0;
  return {
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    threw,
    heapMb: process.memoryUsage().heapUsed / 2 ** 20,
    faults: Number.isNaN(faults) ? -1 : faults,
  };
}

const scope = globalThis as unknown as {
  onmessage: (event: MessageEvent) => void;
  postMessage: (message: unknown) => void;
};
scope.onmessage = async (event) => {
  const message = event.data as { parser: string; folder: string; module?: string; warmup: number } | "pass";
  if (message === "pass") {
    scope.postMessage(pass());
    return;
  }
  documents = readdirSync(message.folder)
    .filter((name) => !/licen[cs]e|readme/i.test(name) && statSync(join(message.folder, name)).isFile())
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(message.folder, name))) }));
  parse = await parserFor(message.parser, message.module);
  // The parser's code takes several passes over 45 MB to settle (JIT tiers, the heap's sizing): the
  // first pass ran 4x and the next three 2x slower than the rest.
  for (let i = 0; i < message.warmup; i++) pass();
  scope.postMessage("ready");
};
