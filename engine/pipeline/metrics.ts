/**
 * Per-stage counters a run keeps: items in and out, errors, retries, drops, dead letters, queue depth,
 * busy time and placement. The CLI draws progress from {@linkcode RunMetrics.snapshot}.
 * @module
 */
import type { Placement } from "./stage.ts";

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
  /** Named counters a stage adds (`notModified`, `imagesFetched`...). */
  counters: Record<string, number>;
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
  lag: { p50: number; p99: number; max: number } = { p50: 0, p99: 0, max: 0 };

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
  watchLag(read: () => { p50: number; p99: number; max: number }): void {
    this.#lag = read;
  }
  #lag?: () => { p50: number; p99: number; max: number };

  /** A copy of every stage's counters, with current queue depths. */
  snapshot(): { elapsedMs: number; stages: StageMetrics[]; lag: { p50: number; p99: number; max: number } } {
    for (const s of this.#stages) s.queueDepth = this.#depth.get(s.name)?.() ?? 0;
    if (this.#lag) {
      const { p50, p99, max } = this.#lag();
      this.lag = { p50, p99, max };
    }
    return {
      elapsedMs: Date.now() - this.startedAt,
      stages: this.#stages.map((s) => ({ ...s, counters: { ...s.counters } })),
      lag: { ...this.lag },
    };
  }
}
