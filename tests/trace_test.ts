/**
 * The `--trace` file: every lane (thread id) holds spans that nest or are disjoint, also when a stage
 * works on several items at once, so trace viewers draw it as written.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  fromIterable,
  map,
  pipeline,
  runPipeline,
  silentLogger,
  sink,
  Tracer,
} from "../engine/pipeline/mod.ts";

interface Span {
  name: string;
  ph: string;
  ts: number;
  dur: number;
  tid: number;
}

/** The first pair of spans on one lane that overlap without one containing the other. */
function badNesting(spans: Span[]): [Span, Span] | undefined {
  const byLane = Map.groupBy(spans, (s) => s.tid);
  for (const lane of byLane.values()) {
    lane.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const open: Span[] = [];
    for (const s of lane) {
      while (open.length && open[open.length - 1].ts + open[open.length - 1].dur <= s.ts) open.pop();
      const parent = open[open.length - 1];
      if (parent && s.ts + s.dur > parent.ts + parent.dur) return [parent, s];
      open.push(s);
    }
  }
  return undefined;
}

describe("trace", () => {
  test("concurrent slots of a stage get their own lanes, and every lane nests", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-trace-"));
    try {
      const tracer = new Tracer(true);
      // Each item waits on a timer, so the four slots hold four items at once: their spans overlap in time.
      const slow = map(async (n: number) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return n;
      }, { name: "slow", concurrency: 4 });
      const p = pipeline(fromIterable(Array.from({ length: 16 }, (_, i) => i))).pipe(slow).to(
        sink(() => {}, { name: "out" }),
      );
      await runPipeline(p, { logger: silentLogger, measureLag: false, tracer });
      const file = path.join(dir, "trace.json");
      await tracer.write(file);

      const events = JSON.parse(await readFile(file, "utf8")).traceEvents as Span[];
      const spans = events.filter((e) => e.ph === "X");
      const slowSpans = spans.filter((s) => s.name === "slow");
      assert.equal(slowSpans.length, 16);
      const overlapping = slowSpans.some((a) =>
        slowSpans.some((b) => a !== b && a.ts < b.ts + b.dur && b.ts < a.ts + a.dur)
      );
      assert.ok(overlapping, "the stage worked on several items at once");
      assert.equal(new Set(slowSpans.map((s) => s.tid)).size, 4, "one lane per slot");
      assert.deepEqual(badNesting(spans), undefined);
      const names = events.filter((e) => e.ph === "M" && e.name === "thread_name")
        .map((e) => (e as unknown as { args: { name: string } }).args.name);
      assert.ok(names.includes("loop slow #1") && names.includes("loop slow #4"), names.join(", "));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("two stages with the same name get separate lanes", () => {
    const t = new Tracer(true);
    const a = t.stageLanes("loop", "shard");
    const b = t.stageLanes("loop", "shard");
    assert.notEqual(a(0), b(0));
  });
});
