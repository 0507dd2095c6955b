/**
 * The pipeline engine: constructors, ordering, backpressure, retries, error policies, batching, fan-out
 * and fan-in, placement, stopping, and the trace.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  batch,
  branch,
  chain,
  filter,
  flatMap,
  fromIterable,
  map,
  merge,
  ownerMap,
  pipeline,
  route,
  runPipeline,
  silentLogger,
  sink,
  source,
  StageFailedError,
  StageTimeoutError,
  tap,
  task,
  Tracer,
  withOptions,
} from "../engine/pipeline/mod.ts";
import { WorkerPool } from "../engine/kernel/mod.ts";
import { runtime } from "../engine/runtime/mod.ts";

const quiet = { logger: silentLogger, measureLag: false };
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** A promise resolved from outside. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("pipeline engine", () => {
  test("map, filter, flatMap and tap chain in order and feed the sink", async () => {
    const seen: number[] = [];
    const tapped: number[] = [];
    const out: string[] = [];
    const p = pipeline(fromIterable(range(6)))
      .pipe(map((n: number) => n * 10))
      .pipe(filter((n: number) => n % 20 === 0))
      .pipe(tap((n: number) => void tapped.push(n)))
      .pipe(flatMap((n: number) => [n, n + 1]))
      .pipe(tap((n: number) => void seen.push(n)))
      .to(sink((n: number) => void out.push(`#${n}`)));
    const summary = await runPipeline(p, quiet);
    assert.equal(summary.ok, true);
    assert.deepEqual(tapped, [0, 20, 40]);
    assert.deepEqual(out, ["#0", "#1", "#20", "#21", "#40", "#41"]);
    assert.deepEqual(summary.metrics.stages.map((s) => s.itemsOut), [6, 6, 3, 3, 6, 6, 0]);
  });

  test("ordered output survives concurrency when an early item finishes last", async () => {
    const firstMayFinish = deferred();
    const out: number[] = [];
    const p = pipeline(fromIterable(range(8)))
      .pipe(map(async (n: number) => {
        if (n === 0) await firstMayFinish.promise;
        if (n === 7) firstMayFinish.resolve();
        return n;
      }, { concurrency: 8, ordered: true }))
      .to(sink((n: number) => void out.push(n)));
    await runPipeline(p, quiet);
    assert.deepEqual(out, range(8));
  });

  test("unordered output lets a fast item overtake a slow one", async () => {
    const firstMayFinish = deferred();
    const out: number[] = [];
    const p = pipeline(fromIterable(range(4)))
      .pipe(map(async (n: number) => {
        if (n === 0) await firstMayFinish.promise;
        if (n === 3) firstMayFinish.resolve();
        return n;
      }, { concurrency: 4, ordered: false }))
      .to(sink((n: number) => void out.push(n)));
    await runPipeline(p, quiet);
    assert.notEqual(out[0], 0);
    assert.deepEqual([...out].sort(), range(4));
  });

  test("a slow sink bounds the items in flight (backpressure end to end)", async () => {
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    const p = pipeline(source(function* () {
      for (let i = 0; i < 200; i++) {
        produced++;
        maxAhead = Math.max(maxAhead, produced - consumed);
        yield i;
      }
    }, { capacity: 4 }))
      .pipe(map((n: number) => n + 1, { capacity: 4, concurrency: 2 }))
      .to(sink(async () => {
        await new Promise((r) => setTimeout(r, 0)); // a slow consumer
        consumed++;
      }, { capacity: 4 }));
    const summary = await runPipeline(p, quiet);
    assert.equal(consumed, 200);
    // two channels of 4, two items in the map, one in the sink, one being yielded
    assert.ok(maxAhead <= 4 + 4 + 2 + 1 + 1, `source ran ${maxAhead} items ahead of the sink`);
    assert.ok(summary.metrics.stages[1].maxInFlight <= 6);
  });

  test("retry: a flaky item succeeds on its third attempt and the retries are counted", async () => {
    const attempts = new Map<number, number>();
    const out: number[] = [];
    const p = pipeline(fromIterable([1, 2]))
      .pipe(map((n: number) => {
        const a = (attempts.get(n) ?? 0) + 1;
        attempts.set(n, a);
        if (n === 2 && a < 3) throw new Error("flaky");
        return n;
      }, { retry: { attempts: 3, backoffMs: 1 } }))
      .to(sink((n: number) => void out.push(n)));
    const summary = await runPipeline(p, quiet);
    assert.equal(summary.ok, true);
    assert.deepEqual(out, [1, 2]);
    assert.equal(summary.metrics.stages[1].retries, 2);
  });

  test("retry: errors that are not retryable fail at once", async () => {
    let calls = 0;
    const p = pipeline(fromIterable([1]))
      .pipe(map(() => {
        calls++;
        throw new TypeError("permanent");
      }, {
        retry: { attempts: 5, backoffMs: 1, retryable: (e) => !(e instanceof TypeError) },
        onError: "drop",
      }))
      .to(sink(() => {}));
    const summary = await runPipeline(p, quiet);
    assert.equal(calls, 1);
    assert.equal(summary.failures.length, 1);
  });

  test("drop: a failing item is counted and reported, the others go through", async () => {
    const out: number[] = [];
    const p = pipeline(fromIterable(range(5)))
      .pipe(map((n: number) => {
        if (n === 2) throw new Error("bad item two");
        return n;
      }, { onError: "drop", name: "check" }))
      .to(sink((n: number) => void out.push(n)));
    const summary = await runPipeline(p, quiet);
    assert.equal(summary.ok, false);
    assert.equal(summary.aborted, false);
    assert.deepEqual(out, [0, 1, 3, 4]);
    assert.deepEqual(summary.failures, [{ stage: "check", item: "2", error: "bad item two" }]);
    assert.equal(summary.metrics.stages[1].dropped, 1);
  });

  test("dead-letter: a failing item is written to a JSONL file with its error", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-dl-"));
    try {
      const file = path.join(dir, "sub", "failed.jsonl");
      const p = pipeline(
        fromIterable([{ url: "https://u:secret@example.org/a" }, { url: "https://example.org/b" }]),
      )
        .pipe(map((x: { url: string }) => {
          if (x.url.endsWith("a")) throw new Error("cannot");
          return x;
        }, { onError: "dead-letter", deadLetter: file, name: "work" }))
        .to(sink(() => {}));
      const summary = await runPipeline(p, quiet);
      const lines = (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
      assert.equal(lines.length, 1);
      assert.equal(lines[0].stage, "work");
      assert.equal(lines[0].error, "cannot");
      assert.equal(lines[0].item.url, "https://***:***@example.org/a");
      assert.equal(summary.metrics.stages[1].deadLettered, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("fail: the first failing item stops the pipeline with a StageFailedError", async () => {
    let sunk = 0;
    const p = pipeline(source(async function* (ctx) {
      for (let i = 0; !ctx.stopSignal.aborted; i++) yield i;
    }))
      .pipe(map((n: number) => {
        if (n === 10) throw new Error("boom");
        return n;
      }, { name: "explode" }))
      .to(sink(() => void sunk++));
    const summary = await runPipeline(p, quiet);
    assert.equal(summary.aborted, true);
    assert.ok(summary.error instanceof StageFailedError);
    assert.match((summary.error as Error).message, /stage `explode` failed on 10: boom/);
    assert.ok(sunk <= 10);
  });

  test("timeout: an item that takes too long fails with StageTimeoutError", async () => {
    const p = pipeline(fromIterable([1]))
      .pipe(
        map(
          (_n: number, ctx) =>
            new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))),
          { timeoutMs: 20, onError: "drop", name: "hang" },
        ),
      )
      .to(sink(() => {}));
    const summary = await runPipeline(p, quiet);
    assert.equal(summary.failures.length, 1);
    assert.match(summary.failures[0].error, /timed out after 20 ms/);
    assert.equal(summary.failures[0].code, new StageTimeoutError("x", 1).code);
  });

  test("batch: groups by size, and a window flushes a partial batch", async () => {
    const sizes: number[] = [];
    await runPipeline(
      pipeline(fromIterable(range(10))).pipe(batch<number>({ size: 4 })).to(
        sink((b: number[]) => void sizes.push(b.length)),
      ),
      quiet,
    );
    assert.deepEqual(sizes, [4, 4, 2]);

    const gate = deferred();
    const batches: number[][] = [];
    const p = pipeline(source(async function* () {
      yield 1;
      yield 2;
      await gate.promise; // the window must flush [1, 2] before the source goes on
      yield 3;
    }))
      .pipe(batch<number>({ size: 10, windowMs: 5 }))
      .to(sink((b: number[]) => {
        batches.push(b);
        gate.resolve();
      }));
    await runPipeline(p, quiet);
    assert.deepEqual(batches, [[1, 2], [3]]);
  });

  test("branch sends every item to each chain; merge interleaves sources", async () => {
    const a: number[] = [];
    const b: string[] = [];
    const p = pipeline(merge(fromIterable([1, 2]), fromIterable([3])))
      .to(branch(
        chain<number>().to(sink((n: number) => void a.push(n))),
        chain<number>().pipe(map((n: number) => `n${n}`)).to(sink((s: string) => void b.push(s))),
      ));
    const summary = await runPipeline(p, quiet);
    assert.equal(summary.ok, true);
    assert.deepEqual([...a].sort(), [1, 2, 3]);
    assert.deepEqual([...b].sort(), ["n1", "n2", "n3"]);
  });

  test("route sends items with the same key to the same shard", async () => {
    const byShard = new Map<number, Set<string>>();
    const p = pipeline(fromIterable(["a1", "b1", "a2", "c1", "b2", "a3"]))
      .to(route((s: string) => s[0], 3, (shard) =>
        sink((s: string) => {
          const set = byShard.get(shard) ?? new Set();
          set.add(s[0]);
          byShard.set(shard, set);
        }), { concurrency: 4 }));
    await runPipeline(p, quiet);
    const keys = [...byShard.values()].flatMap((s) => [...s]);
    assert.equal(keys.length, new Set(keys).size, "a key reached two shards");
  });

  test("owner stage: concurrent items never overlap on the resource", async () => {
    let busy = false;
    const served: number[] = [];
    const resource = {
      async use(n: number) {
        if (busy) throw new Error("overlap");
        busy = true;
        await Promise.resolve();
        await new Promise((r) => setTimeout(r, 0));
        served.push(n);
        busy = false;
        return n;
      },
    };
    const p = pipeline(fromIterable(range(20)))
      .to(
        ownerMap({ key: "res", open: () => Promise.resolve(resource), handle: (r, n: number) => r.use(n) }, {
          concurrency: 8,
        }),
      );
    const summary = await runPipeline(p, quiet);
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    assert.deepEqual([...served].sort((x, y) => x - y), range(20));
    assert.equal(summary.metrics.stages[1].placement, "owner");
  });

  test("task stage runs a module export on the worker pool, and auto moves CPU work there", async () => {
    const pool = new WorkerPool({ size: 2 });
    try {
      const module = new URL("./fixtures/pipeline_tasks.ts", import.meta.url).href;
      const out: number[] = [];
      const p = pipeline(fromIterable(range(5)))
        .pipe(task<number, number>({ module, export: "square" }, { concurrency: 2, ordered: true }))
        .to(sink((n: number) => void out.push(n)));
      const s1 = await runPipeline(p, { ...quiet, pool });
      assert.deepEqual(out, [0, 1, 4, 9, 16]);
      assert.equal(s1.metrics.stages[1].placement, "pool");

      const auto = pipeline(fromIterable(range(12)))
        .pipe(task<number, number>({ module, export: "burn" }, { placement: "auto", name: "burn" }))
        .to(sink(() => {}));
      const s2 = await runPipeline(auto, { ...quiet, pool });
      assert.equal(s2.metrics.stages[1].placement, "pool");

      const light = pipeline(fromIterable(range(12)))
        .pipe(task<number, number>({ module, export: "square" }, { placement: "auto" }))
        .to(sink(() => {}));
      const s3 = await runPipeline(light, { ...quiet, pool });
      assert.equal(s3.metrics.stages[1].placement, "loop");

      const forced = await runPipeline(p, { ...quiet, pool, placementOverride: "loop" });
      assert.equal(forced.metrics.stages[1].placement, "loop");
    } finally {
      await pool.close();
    }
  });

  test("a run with a pool stage starts its worker before the source yields; a loop-only run starts none", async () => {
    const module = new URL("./fixtures/pipeline_tasks.ts", import.meta.url).href;
    const workersSeenBySource = async (placementOverride?: "loop") => {
      const pool = new WorkerPool({ size: 1 });
      let seen = -1;
      try {
        const p = pipeline(source(() => {
          seen = pool.stats.workers;
          return [3];
        })).pipe(task<number, number>({ module, export: "square" })).to(sink(() => {}));
        assert.equal((await runPipeline(p, { ...quiet, pool, placementOverride })).ok, true);
        return seen;
      } finally {
        await pool.close();
      }
    };
    assert.equal(await workersSeenBySource(), 1);
    assert.equal(await workersSeenBySource("loop"), 0);
  });

  test("the GC hint is given every 100 ms while the run goes on; Bun's adapter has one, Deno's none", async () => {
    let hints = 0;
    let twice: () => void;
    const hintedTwice = new Promise<void>((resolve) => (twice = resolve));
    const p = pipeline(source(async function* () {
      await hintedTwice; // the run is under way: the source waits for two hints before its item
      yield 1;
    })).to(sink(() => {}));
    // The hint's timer does not keep the process alive (a run's I/O does): here a timer stands in for it.
    const keepAlive = setInterval(() => {}, 50);
    const summary = await runPipeline(p, {
      ...quiet,
      gcHint: () => {
        if (++hints === 2) twice();
      },
    }).finally(() => clearInterval(keepAlive));
    assert.equal(summary.ok, true);
    assert.ok(hints >= 2);
    // (The hint's timer is cleared at the end: under Deno the test's timer check fails otherwise.)
    assert.equal(typeof runtime.gcHint, runtime.name === "bun" ? "function" : "undefined");
  });

  test("a stop signal ends the source and drains what is in flight", async () => {
    const stop = new AbortController();
    let delivered = 0;
    let produced = 0;
    const p = pipeline(source(async function* (ctx) {
      while (!ctx.stopSignal.aborted) {
        produced++;
        yield produced;
        await Promise.resolve();
      }
    }))
      .pipe(map((n: number) => n, { concurrency: 4 }))
      .to(sink(() => {
        delivered++;
        if (delivered === 50) stop.abort();
      }));
    const summary = await runPipeline(p, { ...quiet, stopSignal: stop.signal });
    assert.equal(summary.stopped, true);
    assert.equal(summary.aborted, false);
    assert.equal(delivered, summary.metrics.stages[0].itemsOut, "every produced item was delivered");
  });

  test("the trace is valid trace-event JSON with a span per item and stage", async () => {
    const tracer = new Tracer(true);
    await runPipeline(
      pipeline(fromIterable(range(3))).pipe(map((n: number) => n, { name: "double" })).to(
        sink(() => {}, { name: "out" }),
      ),
      { ...quiet, tracer },
    );
    const json = JSON.parse(JSON.stringify(tracer.toJSON()));
    const spans = json.traceEvents.filter((e: { ph: string }) => e.ph === "X");
    assert.equal(spans.filter((e: { name: string }) => e.name === "double").length, 3);
    for (const e of spans) {
      assert.equal(typeof e.ts, "number");
      assert.equal(typeof e.dur, "number");
      assert.equal(typeof e.tid, "number");
    }
    assert.ok(
      json.traceEvents.some((e: { ph: string; name: string }) => e.ph === "M" && e.name === "thread_name"),
    );
  });

  test("withOptions overrides options and recomputes what derived from concurrency", () => {
    const s = withOptions(map((n: number) => n), { concurrency: 8, name: "wide" });
    assert.equal(s.options.concurrency, 8);
    assert.equal(s.options.ordered, false);
    assert.equal(s.options.name, "wide");
  });
});
