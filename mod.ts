/**
 * sluice: a typed pipeline DSL for Deno and Bun. Build a pipeline from a source, stages and a sink, run
 * it, keep state between runs and run it on a schedule. The rest of the package lives in its own entry
 * points: `kernel.ts` (channels, select, tasks, the worker pool), `stages.ts` (the built-in stages and
 * the rss2imap pipeline), `config.ts` (loading pipelines from YAML) and `testing.ts` (helpers for testing
 * pipelines and stages).
 *
 * @example
 * ```ts
 * import { fromIterable, map, pipeline, runPipeline, sink } from "./mod.ts";
 *
 * const out: number[] = [];
 * const summary = await runPipeline(
 *   pipeline(fromIterable([1, 2, 3])).pipe(map((n: number) => n * 2)).to(sink((n: number) => { out.push(n); })),
 * );
 * console.log(summary.ok, out); // true [2, 4, 6]
 * ```
 * @module
 */

// Stages, the builder, the runner, retry, dead letters, metrics, trace, logging, stage factories.
export * from "./engine/pipeline/mod.ts";
// Watching a running pipeline: --metrics (Prometheus text, /healthz).
export * from "./engine/monitor/mod.ts";
// State between runs (stores and the delivery ledger's records) and schedules.
export * from "./engine/state/mod.ts";
export * from "./engine/schedule/mod.ts";
// Errors a pipeline raises and meets.
export { redactUrl, SluiceError } from "./engine/errors.ts";
export { PERMISSION_HINT, PermissionNeededError, permissionProblem } from "./engine/permission_error.ts";
