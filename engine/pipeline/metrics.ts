/**
 * Per-stage counters a run keeps: items in and out, errors, retries, drops, dead letters, queue depth,
 * busy time and placement. The CLI draws progress from {@linkcode RunMetrics.snapshot}.
 * @module
 */
import type { Placement } from "./stage.ts";

/** The run's memory budget, in bytes (see `bytes_in_flight.ts`). */
export interface MemoryFigures {
  /** The budget. */
  limit: number;
  /** What items hold now. */
  held: number;
  /** The most items held at once so far. */
  highWater: number;
}

/** The counters of one stage. */
export interface StageMetrics {
  /** The stage's name in the pipeline (unique; duplicates get `#2`, `#3`...). */
  name: string;
  /** Where the stage runs; an `auto` stage shows where it moved once it has measured. */
  placement: Placement;
  /** Items the stage processes at once (its resolved `concurrency`). */
  concurrency: number;
  /** Capacity of the stage's input channel, in items (its resolved `capacity`). */
  capacity: number;
  /** Items the stage took from its input (0 for a source). */
  itemsIn: number;
  /** Items the stage sent downstream (a source's produced items; 0 for a sink that emits nothing). */
  itemsOut: number;
  /** Items the stage finished without failing (for a sink: the items it delivered). */
  itemsDone: number;
  /** Items that failed for good after their retries (each then dropped, dead-lettered or failing the run). */
  errors: number;
  /** Retry attempts made (not counting each item's first attempt). */
  retries: number;
  /** Failed items skipped (`onError: "drop"`, or `dead-letter` with no target set). */
  dropped: number;
  /** Failed items written to the stage's dead-letter file or channel. */
  deadLettered: number;
  /** Items waiting in the stage's input channel at the last snapshot. */
  queueDepth: number;
  /** Items being processed right now. */
  inFlight: number;
  /** Highest `inFlight + queueDepth` seen. */
  maxInFlight: number;
  /** Sum of per-item processing time in ms. */
  busyMs: number;
  /**
   * Items processed, counted per upper bound of {@linkcode PROCESSING_BUCKETS_S} (not cumulative: index
   * `i` counts the items that took more than bound `i - 1` and at most bound `i`; the last index counts
   * the slower ones). Its sum is the number of items processed.
   */
  processing: number[];
  /** Named counters a stage adds (`notModified`, `imagesFetched`...). */
  counters: Record<string, number>;
}

/**
 * Upper bounds in seconds of the processing-time histogram (`sluice_stage_processing_seconds`): from
 * 1 ms (an in-memory map) to 30 s (a slow feed), about 2.5x apart.
 *
 * @example
 * ```ts
 * import { PROCESSING_BUCKETS_S } from "./metrics.ts";
 * console.log(PROCESSING_BUCKETS_S[0]); // 0.001
 * ```
 */
export const PROCESSING_BUCKETS_S: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];

/**
 * Counts one item's processing time (in ms) in the stage's histogram.
 *
 * @example
 * ```ts
 * import { observeProcessing, RunMetrics } from "./metrics.ts";
 * const s = new RunMetrics().stage("fetch", "loop", 1, 16);
 * observeProcessing(s, 3);
 * console.log(s.processing[2]); // 1 (3 ms is at most 5 ms)
 * ```
 */
export function observeProcessing(m: StageMetrics, ms: number): void {
  const seconds = ms / 1000;
  let i = 0;
  while (i < PROCESSING_BUCKETS_S.length && seconds > PROCESSING_BUCKETS_S[i]) i++;
  m.processing[i]++;
}

/**
 * What the run's worker pool is doing (see `WorkerPool.stats`).
 *
 * @example
 * ```ts
 * const p: PoolMetrics = { workers: 1, busy: 1, queued: 3 };
 * ```
 */
export interface PoolMetrics {
  /** Live workers. */
  workers: number;
  /** Workers running a task right now. */
  busy: number;
  /** Tasks waiting for a worker. */
  queued: number;
}

/**
 * Event-loop lag in ms: median, 99th percentile and maximum of the 100 ms heartbeat's lateness, and, where
 * the thread's CPU wait can be read (Linux), the same less that wait (the lag the run's own work caused).
 *
 * @example
 * ```ts
 * const lag: LagFigures = { p50: 4.6, p99: 80.1, max: 302, withoutCpuWait: { p50: 0.4, p99: 12.3, max: 31.5 } };
 * ```
 */
export interface LagFigures {
  /** Median lag. */
  p50: number;
  /** 99th percentile lag. */
  p99: number;
  /** Largest lag. */
  max: number;
  /** The same figures less the time the loop's thread waited for a CPU (absent where it cannot be read). */
  withoutCpuWait?: { p50: number; p99: number; max: number };
}

/**
 * The metrics of a run, stage by stage, plus the event-loop lag.
 *
 * @example
 * ```ts
 * const m = new RunMetrics();
 * const s = m.stage("fetch", "loop", 8, 16);
 * s.itemsIn++;
 * console.log(m.snapshot().stages[0].itemsIn); // 1
 * ```
 */
export class RunMetrics {
  /** When the run's metrics were created, in ms since the Unix epoch (`Date.now()`). */
  readonly startedAt: number = Date.now();
  #stages: StageMetrics[] = [];
  #depth = new Map<string, () => number>();
  /** Event-loop lag in ms (median, 99th percentile, maximum); all 0 until measured. */
  lag: LagFigures = { p50: 0, p99: 0, max: 0 };
  /** The memory budget in bytes, the bytes items hold now, and the most they held at once. */
  memory: MemoryFigures = { limit: 0, held: 0, highWater: 0 };

  /** Creates the counters of a stage. */
  stage(name: string, placement: Placement, concurrency: number, capacity: number): StageMetrics {
    const s: StageMetrics = {
      name,
      placement,
      concurrency,
      capacity,
      itemsIn: 0,
      itemsOut: 0,
      itemsDone: 0,
      errors: 0,
      retries: 0,
      dropped: 0,
      deadLettered: 0,
      queueDepth: 0,
      inFlight: 0,
      maxInFlight: 0,
      busyMs: 0,
      processing: new Array(PROCESSING_BUCKETS_S.length + 1).fill(0),
      counters: {},
    };
    this.#stages.push(s);
    return s;
  }

  /** Lets the snapshot read a stage's queue depth from its input channel. */
  watchDepth(name: string, depth: () => number): void {
    this.#depth.set(name, depth);
  }

  /** Lets the snapshot read the event-loop lag while the run goes on. */
  watchLag(read: () => LagFigures): void {
    this.#lag = read;
  }
  #lag?: () => LagFigures;

  /** Lets the snapshot read the run's memory budget while the run goes on. */
  watchMemory(read: () => MemoryFigures): void {
    this.#memory = read;
  }
  #memory?: () => MemoryFigures;

  /** Lets the snapshot read the worker pool's state; `read` returns undefined while the run has none. */
  watchPool(read: () => PoolMetrics | undefined): void {
    this.#pool = read;
  }
  #pool?: () => PoolMetrics | undefined;

  /** A copy of every stage's counters, with current queue depths. */
  snapshot(): {
    elapsedMs: number;
    stages: StageMetrics[];
    lag: LagFigures;
    memory: MemoryFigures;
    pool?: PoolMetrics;
  } {
    for (const s of this.#stages) s.queueDepth = this.#depth.get(s.name)?.() ?? 0;
    if (this.#memory) this.memory = { ...this.#memory() };
    if (this.#lag) {
      const { p50, p99, max, withoutCpuWait } = this.#lag();
      this.lag = { p50, p99, max, ...(withoutCpuWait ? { withoutCpuWait: { ...withoutCpuWait } } : {}) };
    }
    const pool = this.#pool?.();
    return {
      elapsedMs: Date.now() - this.startedAt,
      stages: this.#stages.map((s) => ({ ...s, processing: [...s.processing], counters: { ...s.counters } })),
      lag: { ...this.lag },
      memory: { ...this.memory },
      ...(pool ? { pool: { workers: pool.workers, busy: pool.busy, queued: pool.queued } } : {}),
    };
  }
}
