/**
 * The parts of a report a worker fills from a finished run: a stage's counters that add up across
 * workers, and the error that stopped the run.
 * @module
 */
import { SluiceError } from "../errors.ts";
import type { RunSummary } from "../pipeline/runner.ts";
import type { StageCounters, UnitReport } from "./work_queue.ts";

/**
 * A stage's counters as a report carries them.
 *
 * @example
 * ```ts ignore
 * const counters = summary.metrics.stages.slice(1).map(countersOf);
 * ```
 */
export function countersOf(s: RunSummary["metrics"]["stages"][number]): StageCounters {
  return {
    name: s.name,
    placement: s.placement,
    itemsIn: s.itemsIn,
    itemsOut: s.itemsOut,
    errors: s.errors,
    retries: s.retries,
    dropped: s.dropped,
    deadLettered: s.deadLettered,
    busyMs: s.busyMs,
    counters: { ...s.counters },
  };
}

/**
 * The error that stopped a run, as a report carries it.
 *
 * @example
 * ```ts
 * import { fatalOf } from "./report_fields.ts";
 * fatalOf(new Error("login refused")); // { message: "login refused" }
 * ```
 */
export function fatalOf(e: unknown): UnitReport["fatal"] {
  if (e instanceof SluiceError) return { message: e.message, code: e.code, hint: e.hint };
  return { message: e instanceof Error ? e.message : String(e) };
}
