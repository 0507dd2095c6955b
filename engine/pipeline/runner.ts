/**
 * The runner: connects a pipeline's stages with bounded channels (backpressure end to end), runs each
 * with its concurrency, retries, time limit and error policy, stops cleanly on SIGINT/SIGTERM, and
 * returns a summary with per-stage metrics.
 * @module
 */
import process from "node:process";
import { WorkerPool } from "../kernel/mod.ts";
import { discardPrestartedWorker } from "../kernel/worker_pool.ts";
import { runtime } from "../runtime/mod.ts";
import { SluiceError } from "../errors.ts";
import { startLoopLagMonitor } from "../placement/loop_lag.ts";
import { threadCpuWaitReader } from "../placement/cpu_wait.ts";
import { startGcHints } from "../placement/gc_hints.ts";
import { collectionPace } from "../placement/collection_pace.ts";
import type { Pipeline } from "./pipeline.ts";
import type { Placement, Stage, StageContext } from "./stage.ts";
import { type LagFigures, RunMetrics, type StageMetrics } from "./metrics.ts";
import { RunResources } from "./resources.ts";
import { BytesInFlight, DEFAULT_MEMORY_BUDGET, LOOP_ONLY_BELOW_BYTES } from "./bytes_in_flight.ts";
import { Tracer } from "./trace.ts";
import { type Logger, textLogger } from "./logger.ts";
import { ChainRunner } from "./chain_runner.ts";
import { messageOf } from "./stage_failed_error.ts";
import { openRunState } from "./run_state.ts";
import { describeLeaseHolder } from "../state/lease.ts";
import { StateStoreError } from "../state/store.ts";
import type { ItemFailure } from "./item_failure.ts";

export type { ItemFailure } from "./item_failure.ts";

export { StageFailedError } from "./stage_failed_error.ts";

/** Options of {@linkcode runPipeline}. */
export interface RunOptions {
  /** Aborting it stops everything at once (in-flight items are abandoned). */
  signal?: AbortSignal;
  /** Aborting it stops the sources; in-flight items finish (a time budget uses this). */
  stopSignal?: AbortSignal;
  /** Handle SIGINT/SIGTERM: the first stops sources and drains, a second (or the grace) aborts. */
  handleSignals?: boolean;
  /** How long in-flight items may take to drain after a stop signal. Default 10 s. */
  graceMs?: number;
  /**
   * The worker pool for `pool` stages; by default the run makes its own and closes it at the end. Either
   * way, a run with a `pool` stage starts a worker before its sources do (`WorkerPool.warm`).
   */
  pool?: WorkerPool;
  /**
   * Workers of the pool the run makes (when `pool` is not given); default {@linkcode defaultPoolSize}.
   * YAML: `pool: { size: N }`; the CLI: `--pool N`.
   */
  poolSize?: number;
  /** Shared resources for the stages; by default a new set. Closed when the run ends, given or not. */
  resources?: RunResources;
  /** Records trace spans (`--trace`); by default a disabled tracer. */
  tracer?: Tracer;
  /** Where log lines go; by default text lines on stderr at `info` and above. */
  logger?: Logger;
  /** Counters to fill, e.g. to draw progress while the run goes on; by default a new set. */
  metrics?: RunMetrics;
  /**
   * The memory budget in bytes (`--max-memory`, `memory:`): the most bytes items may carry between stages
   * at once (see `StageOptions.bytesOf`); a stage waits to emit while it is used up. Default 64 MiB.
   */
  maxMemory?: number;
  /**
   * Whether a `maxMemory` below {@linkcode LOOP_ONLY_BELOW_BYTES} also keeps `pool`/`auto` stages on the
   * event loop. Default: under Deno, where a pool worker is a second V8 heap, 40-60 MB of a run's resident
   * memory (W3 with `--max-memory 128MB`: 223-231 MB with the pool, 185-195 MB without); not under Bun, whose
   * one heap on the loop peaked higher than the pool's two (W3 with `--max-memory 128MB`: 265 MB, against 246-275 MB with the pool).
   */
  smallBudgetOnLoop?: boolean;
  /** Dry run: sinks write what they would send into this folder. */
  dryRun?: string;
  /**
   * How long to wait for another run's lease on the state (`--wait-lock`); default 0: a state in use
   * stops this run at once with E_STATE_LEASED, before anything is read or sent.
   */
  waitLockMs?: number;
  /** Force every `pool`/`auto` stage onto the event loop (the `loop-only` comparison mode). */
  placementOverride?: "loop";
  /** Measure event-loop lag during the run (default true). */
  measureLag?: boolean;
  /**
   * Called every 100 ms while the run goes on, to let a lazily collecting runtime free garbage sooner.
   * Default: the runtime adapter's `gcHint` (Bun's non-blocking `Bun.gc(false)`; none under Deno);
   * `false` gives none.
   */
  gcHint?: (() => void) | false;
  /**
   * A full, blocking collection, memory bought with event-loop lag: called every 500 ms with a `maxMemory`
   * below {@linkcode LOOP_ONLY_BELOW_BYTES}, otherwise only while the process's resident memory is above
   * {@linkcode COLLECT_ABOVE_RSS_BYTES}: at most once a second, and every 500 ms above
   * {@linkcode COLLECT_OFTEN_ABOVE_RSS_BYTES}. Default: the runtime adapter's
   * `collectNow` with a small budget (Bun's `Bun.gc(true)`: W3 with `--max-memory 128MB` peaked at 174-179
   * MB instead of 265 MB), else its `collectSweepingLater` (Bun: `bun:jsc`'s `fullGC`, which leaves the
   * sweep to the incremental sweeper: a shorter pause; every second `Bun.gc(true)` took the default run from
   * 246-275 MB to 187-188 MB, but raised the loop's lag, so the default run collects only above the mark);
   * none under Deno, whose heap the run's thread sizes instead. `false` gives none.
   */
  collect?: (() => void) | false;
  /**
   * Hands the memory the C allocator holds freed back to the system, called every 2 s with a
   * `maxMemory` below {@linkcode LOOP_ONLY_BELOW_BYTES}. Default: the runtime adapter's
   * `releaseFreedMemory` (Deno: glibc's `malloc_trim` on another thread, where FFI is granted); none under
   * Bun. `false` gives none.
   */
  releaseFreedMemory?: (() => Promise<void> | void) | false;
  /**
   * Resident memory (bytes) above which a run without a small budget calls `collect` (at most once a
   * second; every 500 ms above {@linkcode COLLECT_OFTEN_ABOVE_RSS_BYTES}). Default
   * {@linkcode COLLECT_ABOVE_RSS_BYTES}; `0` collects every second.
   */
  collectAboveRss?: number;
}

/**
 * The period of a run's collection timer where the runtime lets it collect (ms): a run with a small memory
 * budget collects at every tick; any other while its memory is high (see {@linkcode collectionPace}).
 */
const COLLECT_TICK_MS = 500;
/** How often a run without a small budget collects between the two marks (ms). */
const COLLECT_EVERY_MS = 1000;
/**
 * How often a run with a small budget hands freed memory back (ms): each trim costs system time (the pages
 * given back are faulted in again when reused: every 500 ms it added 2-3 s of system time to W3's ~10 s),
 * and what it bounds creeps up slowly (~20 MB over W3).
 */
const RELEASE_EVERY_MS_SMALL_BUDGET = 2000;
/**
 * Without a small budget, a run collects only while its resident memory is above this: Bun's W3 peaked at
 * 260-274 MB without collections, the default budget's goal is 256 MB (issue 20).
 *
 * @example
 * ```ts
 * import { COLLECT_ABOVE_RSS_BYTES } from "./runner.ts";
 * COLLECT_ABOVE_RSS_BYTES / 1024 / 1024; // 192
 * ```
 */
export const COLLECT_ABOVE_RSS_BYTES: number = 192 * 1024 * 1024;
/**
 * Above this resident memory, a run without a small budget collects at every tick of its collection timer
 * (500 ms) instead of once a second: Bun's W4 peaked at 277-329 MB with collections once a second, 277-281
 * MB with this, for the same wall time (issue 20).
 *
 * @example
 * ```ts
 * import { COLLECT_OFTEN_ABOVE_RSS_BYTES } from "./runner.ts";
 * COLLECT_OFTEN_ABOVE_RSS_BYTES / 1024 / 1024; // 240
 * ```
 */
export const COLLECT_OFTEN_ABOVE_RSS_BYTES: number = 240 * 1024 * 1024;

/**
 * What a run did.
 *
 * @example
 * ```ts
 * function report(s: RunSummary) { console.log(s.ok, s.failures.length, s.metrics.stages.length); }
 * ```
 */
export interface RunSummary {
  /** No failed items, not aborted, no error. */
  ok: boolean;
  /** Stopped early by a signal or the stop signal (items in flight were drained). */
  stopped: boolean;
  /** What stopped it: SIGINT/SIGTERM (`signal`) or the `stopSignal` option (a time budget). */
  stoppedBy?: "signal" | "stopSignal";
  /** Aborted hard (second signal, grace expired, external abort, or a `fail` error). */
  aborted: boolean;
  /** The error that stopped the run, if any. */
  error?: unknown;
  /** Items that failed for good and were dropped or dead-lettered, in the order they failed. */
  failures: ItemFailure[];
  /** Wall-clock length of the run in ms. */
  durationMs: number;
  /** Per-stage counters and event-loop lag at the end of the run. */
  metrics: ReturnType<RunMetrics["snapshot"]>;
}

/**
 * Runs `pipeline` to completion and returns its summary. It never throws for a failing item; it
 * rejects only on a bug in sluice itself.
 *
 * @example
 * ```ts
 * import { pipeline } from "./pipeline.ts";
 * import { fromIterable, map, sink } from "./constructors.ts";
 * const out: number[] = [];
 * const p = pipeline(fromIterable([1, 2, 3])).pipe(map((n: number) => n * 2)).to(sink((n: number) => { out.push(n); }));
 * const summary = await runPipeline(p);
 * console.log(summary.ok, out); // true [2, 4, 6]
 * ```
 */
export async function runPipeline(pipeline: Pipeline, options: RunOptions = {}): Promise<RunSummary> {
  const started = performance.now();
  const hard = new AbortController();
  const stop = new AbortController();
  const logger = options.logger ?? textLogger("info");
  const metrics = options.metrics ?? new RunMetrics();
  const tracer = options.tracer ?? new Tracer(false);
  const resources = options.resources ?? new RunResources();
  const memory = new BytesInFlight(options.maxMemory ?? DEFAULT_MEMORY_BUDGET);
  const placementOverride = options.placementOverride ??
    ((options.smallBudgetOnLoop ?? runtime.poolWorkerIsOwnHeap ?? false) && options.maxMemory !== undefined &&
        options.maxMemory < LOOP_ONLY_BELOW_BYTES
      ? "loop"
      : undefined);
  metrics.watchMemory(() => ({ limit: memory.limit, held: memory.held, highWater: memory.highWater }));
  const failures: ItemFailure[] = [];
  let ownPool: WorkerPool | undefined;
  let stopped = false;
  let stoppedBy: "signal" | "stopSignal" | undefined;

  const unlink: Array<() => void> = [];
  const onExternalAbort = (signal: AbortSignal) => () => hard.abort(signal.reason);
  if (options.signal) {
    if (options.signal.aborted) hard.abort(options.signal.reason);
    const h = onExternalAbort(options.signal);
    options.signal.addEventListener("abort", h, { once: true });
    unlink.push(() => options.signal!.removeEventListener("abort", h));
  }
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const beginStop = (why: string, by: "signal" | "stopSignal") => {
    if (stop.signal.aborted) return;
    stopped = true;
    stoppedBy = by;
    stop.abort(new SluiceError("E_STOPPED", why));
    const grace = options.graceMs ?? 10_000;
    graceTimer = setTimeout(() => {
      logger.log("warn", `grace period of ${grace} ms over: aborting in-flight items`);
      hard.abort(new SluiceError("E_ABORTED", "aborted: the grace period ran out"));
    }, grace);
  };
  if (options.stopSignal) {
    const s = options.stopSignal;
    const h = () => beginStop("stop requested", "stopSignal");
    if (s.aborted) h();
    else s.addEventListener("abort", h, { once: true });
    unlink.push(() => s.removeEventListener("abort", h));
  }
  if (options.handleSignals) {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      unlink.push(runtime.onSignal(sig, () => {
        if (!stop.signal.aborted) {
          logger.log("warn", `${sig}: stopping sources, finishing items in flight (again to abort)`);
          beginStop(`${sig} received`, "signal");
        } else {
          logger.log("warn", `${sig} again: aborting`);
          hard.abort(new SluiceError("E_ABORTED", `aborted by a second ${sig}`));
        }
      }));
    }
  }
  const stopSignal = AbortSignal.any([stop.signal, hard.signal]);
  // One core stays with the event loop, which does the run's I/O and light stages: on 2 cores a second
  // worker measured no faster on W1 or W3 and cost ~60-100 MB of heap. The run closes its own pool, so its
  // workers need no idle timeout (one would only restart them between bursts of a slow run).
  const poolOf = () =>
    options.pool ??
      (ownPool ??= new WorkerPool({ size: options.poolSize ?? defaultPoolSize(), idleTimeoutMs: Infinity }));
  // A worker holds the loop 10-20 ms while it starts: start it before the first requests go out rather
  // than when their results arrive (in W3 it was the run's largest heartbeat lag).
  // (`auto` stages may never use the pool, so they do not count.)
  const usesPool = (pipeline.stages as Array<Stage<unknown, unknown>>).some((s) =>
    s.options.placement === "pool"
  );
  if (usesPool && !placementOverride) poolOf().warm();
  // A worker the CLI started ahead (prestartPoolWorker) is this run's if it has a pool of its own.
  if (!usesPool || placementOverride || options.pool) discardPrestartedWorker();
  // With --trace, each heartbeat's lag is a counter in the trace: a spike sits above the spans that caused it.
  const onSample = tracer.enabled
    ? (lagMs: number) => tracer.counter("event-loop lag", { ms: lagMs })
    : undefined;
  // On Linux the heartbeat also reads how long the loop's thread waited for a CPU, so that the summary can
  // tell the lag of the run's own long tasks from a busy machine's.
  const lag = options.measureLag === false
    ? undefined
    : startLoopLagMonitor({ intervalMs: 100, onSample, cpuWaitMs: threadCpuWaitReader() });
  const hint = options.gcHint === false ? undefined : options.gcHint ?? runtime.gcHint;
  const stopGcHints = hint ? startGcHints({ hint, intervalMs: 100 }) : undefined;
  const smallBudget = options.maxMemory !== undefined && options.maxMemory < LOOP_ONLY_BELOW_BYTES;
  // Forced collections buy memory with event-loop lag: a run given a small budget collects every 500 ms,
  // any other only while its resident memory is high.
  // The small budget pays for memory with lag; any other run's collections sweep later (a shorter pause).
  const collect = options.collect === false ? undefined : options.collect ??
    (smallBudget ? runtime.collectNow : runtime.collectSweepingLater ?? runtime.collectNow);
  const collectAbove = options.collectAboveRss ?? COLLECT_ABOVE_RSS_BYTES;
  const due = smallBudget ? undefined : collectionPace({
    aboveRss: collectAbove,
    oftenAboveRss: Math.max(collectAbove, COLLECT_OFTEN_ABOVE_RSS_BYTES),
    ticksBetween: COLLECT_EVERY_MS / COLLECT_TICK_MS,
  });
  const stopCollections = collect
    ? startGcHints({
      hint: due
        ? () => {
          if (due(process.memoryUsage.rss())) collect();
        }
        : collect,
      intervalMs: COLLECT_TICK_MS,
    })
    : undefined;
  const release = options.releaseFreedMemory === false
    ? undefined
    : options.releaseFreedMemory ?? runtime.releaseFreedMemory;
  // The last release may still run on another thread when the run ends: the run waits for it.
  let releasing: Promise<void> | void = undefined;
  const stopReleases = release && smallBudget
    ? startGcHints({ hint: () => releasing = release(), intervalMs: RELEASE_EVERY_MS_SMALL_BUDGET })
    : undefined;
  if (lag) metrics.watchLag(() => lag.snapshot());
  metrics.watchPool(() => (options.pool ?? ownPool)?.stats);

  const openState = (location?: string) =>
    openRunState(resources, location ?? pipeline.state, {
      waitMs: options.waitLockMs,
      signal: hard.signal,
      log: (message) => logger.log("warn", message),
      onLost: (holder) =>
        hard.abort(
          new StateStoreError(
            "E_STATE_LEASE_LOST",
            `the lease on the state was taken by another run (${describeLeaseHolder(holder)}) while this ` +
              "one stalled past its expiry; stopped so that both do not deliver",
            "the other run carries on; nothing is lost (entries not recorded yet are looked for next run)",
          ),
        ),
    });
  const contextFor = (stage: string, m: StageMetrics, placement: Placement): StageContext => ({
    openState,
    stateLocation: pipeline.state,
    signal: hard.signal,
    placement,
    stopSignal,
    stage,
    resources,
    tracer,
    dryRun: options.dryRun,
    placementOverride,
    get pool() {
      return poolOf();
    },
    log: (level, message, fields) => logger.log(level, message, { stage, ...fields }),
    count: (counter, n = 1) => {
      m.counters[counter] = (m.counters[counter] ?? 0) + n;
    },
    placed: (placement: Placement) => {
      m.placement = placement;
    },
  });

  const runner = new ChainRunner({ metrics, contextFor, hard, failures, logger, tracer, memory });
  try {
    // The pipeline's state is opened and leased before any stage starts: a state in use, damaged or too
    // new stops the run here, before anything is fetched or sent.
    if (pipeline.state !== undefined) await openState().catch((e) => hard.abort(e));
    if (!hard.signal.aborted) await runner.run(pipeline.stages as Array<Stage<unknown, unknown>>, undefined);
  } finally {
    clearTimeout(graceTimer);
    stopGcHints?.();
    stopCollections?.();
    stopReleases?.();
    await releasing;
    for (const u of unlink) u();
    if (lag) {
      metrics.lag = pick(lag.stop());
      metrics.watchLag(() => metrics.lag);
    }
    try {
      await resources.closeAll();
    } catch (e) {
      logger.log("error", `closing resources: ${messageOf(e)}`);
    }
    await ownPool?.close();
  }
  const aborted = hard.signal.aborted;
  const error = aborted ? hard.signal.reason : undefined;
  return {
    ok: !aborted && failures.length === 0,
    stopped,
    stoppedBy,
    aborted,
    error,
    failures,
    durationMs: performance.now() - started,
    metrics: metrics.snapshot(),
  };
}

/**
 * The pool size of a run that names none: one worker per core but one, at least 1. One core stays with
 * the event loop, which does the run's I/O and light stages.
 *
 * @example
 * ```ts
 * import { defaultPoolSize } from "./runner.ts";
 * console.log(defaultPoolSize() >= 1); // true
 * ```
 */
export function defaultPoolSize(): number {
  return Math.max(1, runtime.cpuCount - 1);
}

function pick(s: LagFigures): LagFigures {
  const own = s.withoutCpuWait;
  return { p50: s.p50, p99: s.p99, max: s.max, ...(own ? { withoutCpuWait: { ...own } } : {}) };
}
