/**
 * What `/metrics` and `/healthz` report about a pipeline across its runs: each run's live counters while
 * it goes on, added to the totals of the runs before it once it ends (so counters only grow, as
 * Prometheus expects of a `_total`), the runs started, finished and failed, and the last exit status.
 * @module
 */
import type { RunMetrics, RunResources, RunSummary, StageMetrics } from "../pipeline/mod.ts";

/**
 * Exit statuses of a failed run (cli/exit_codes.ts): it stopped on an error (3), or it tried nothing
 * because every feed is backing off after failures (4).
 */
const FAILED: Readonly<Record<number, string>> = {
  3: "stopped on an error",
  4: "tried nothing: every feed is backing off",
};

/**
 * The state of the pipeline a scrape reports.
 *
 * @example
 * ```ts
 * const s: MonitorSnapshot = { stages: [], lag: { p50: 0, p99: 0, max: 0 },
 *   runs: { started: 0, finished: 0, failed: 0, inProgress: false } };
 * ```
 */
export interface MonitorSnapshot {
  /** Per stage: the finished runs' totals plus the current run's live counters. */
  stages: StageMetrics[];
  /** Event-loop lag of the current run (or the last one) in ms. */
  lag: { p50: number; p99: number; max: number };
  /** The current run's worker pool; undefined when it has none. */
  pool?: { workers: number; busy: number; queued: number };
  /** Runs started, finished (whatever their outcome) and failed (exit 3: stopped on an error; 4: tried nothing). */
  runs: { started: number; finished: number; failed: number; inProgress: boolean };
  /** The last finished run: its exit status, length in seconds and end time in seconds since the epoch. */
  last?: { exitStatus: number; durationS: number; finishedAtS: number };
}

/**
 * Follows a pipeline's runs for the metrics endpoint and the health check.
 *
 * @example
 * ```ts
 * import { RunMetrics, RunResources } from "../pipeline/mod.ts";
 * const monitor = new PipelineMonitor();
 * const metrics = new RunMetrics();
 * monitor.runStarted(metrics, new RunResources());
 * metrics.stage("fetch", "loop", 1, 16).itemsIn += 3;
 * console.log(monitor.snapshot().stages[0].itemsIn, monitor.health().ok); // 3 true
 * ```
 */
export class PipelineMonitor {
  #totals = new Map<string, StageMetrics>();
  #current?: { metrics: RunMetrics; resources: RunResources };
  #runs = { started: 0, finished: 0, failed: 0 };
  #last?: { exitStatus: number; durationS: number; finishedAtS: number; reason?: string };
  #lag = { p50: 0, p99: 0, max: 0 };

  /** A run begins: its counters and resources are read live until {@linkcode runFinished}. */
  runStarted(metrics: RunMetrics, resources: RunResources): void {
    this.#runs.started++;
    this.#current = { metrics, resources };
  }

  /** A run ended with `summary` and the exit status the CLI gives it. */
  runFinished(summary: RunSummary, exitStatus: number): void {
    for (const s of summary.metrics.stages) this.#add(s);
    this.#lag = { ...summary.metrics.lag };
    this.#current = undefined;
    this.#runs.finished++;
    const failed = Object.hasOwn(FAILED, exitStatus);
    if (failed) this.#runs.failed++;
    const error = summary.error as { message?: string } | undefined;
    const why = error === undefined ? FAILED[exitStatus] : error.message ?? String(error);
    this.#last = {
      exitStatus,
      durationS: summary.durationMs / 1000,
      finishedAtS: Date.now() / 1000,
      reason: failed ? `the last run failed (exit ${exitStatus}): ${why}` : undefined,
    };
  }

  /** The counters as a scrape reports them. */
  snapshot(): MonitorSnapshot {
    const live = this.#current?.metrics.snapshot();
    const stages = new Map<string, StageMetrics>();
    for (const [name, s] of this.#totals) stages.set(name, copy(s));
    for (const s of live?.stages ?? []) {
      const total = stages.get(s.name);
      if (total) addInto(total, s);
      else stages.set(s.name, copy(s));
    }
    return {
      stages: [...stages.values()],
      lag: live ? live.lag : this.#lag,
      ...(live?.pool ? { pool: live.pool } : {}),
      runs: { ...this.#runs, inProgress: this.#current !== undefined },
      ...(this.#last
        ? {
          last: {
            exitStatus: this.#last.exitStatus,
            durationS: this.#last.durationS,
            finishedAtS: this.#last.finishedAtS,
          },
        }
        : {}),
    };
  }

  /**
   * Whether the pipeline is healthy: the last run did not fail, and every resource of the current run
   * that watches its health (the mailbox connection) is well; otherwise the reasons.
   */
  health(): { ok: boolean; reasons: string[] } {
    const reasons = [...(this.#current?.resources.unhealthy() ?? [])];
    if (this.#last?.reason) reasons.push(this.#last.reason);
    return { ok: reasons.length === 0, reasons };
  }

  #add(s: StageMetrics): void {
    const total = this.#totals.get(s.name);
    if (total) addInto(total, s);
    else this.#totals.set(s.name, copy(s));
  }
}

function copy(s: StageMetrics): StageMetrics {
  return { ...s, processing: [...s.processing], counters: { ...s.counters } };
}

/** Adds `s`'s counters into `total`; gauges (queue depth, in flight, placement) take `s`'s values. */
function addInto(total: StageMetrics, s: StageMetrics): void {
  total.itemsIn += s.itemsIn;
  total.itemsOut += s.itemsOut;
  total.errors += s.errors;
  total.retries += s.retries;
  total.dropped += s.dropped;
  total.deadLettered += s.deadLettered;
  total.busyMs += s.busyMs;
  s.processing.forEach((n, i) => (total.processing[i] = (total.processing[i] ?? 0) + n));
  for (const [k, v] of Object.entries(s.counters)) total.counters[k] = (total.counters[k] ?? 0) + v;
  total.queueDepth = s.queueDepth;
  total.inFlight = s.inFlight;
  total.placement = s.placement;
  total.concurrency = s.concurrency;
  total.maxInFlight = Math.max(total.maxInFlight, s.maxInFlight);
}
