/**
 * The end-of-run summary: items per stage, failures with their item and reason, duration, lag.
 * @module
 */
import type { RunSummary } from "../engine/pipeline/mod.ts";
import { permissionProblem } from "../engine/permission_error.ts";

/**
 * The summary as text lines for a terminal or a log.
 *
 * @example
 * ```ts
 * import { fromIterable, pipeline, runPipeline, sink } from "../engine/pipeline/mod.ts";
 * const summary = await runPipeline(pipeline(fromIterable([1, 2])).to(sink(() => {})));
 * console.error(summaryText(summary));
 * ```
 */
export function summaryText(summary: RunSummary): string {
  const m = summary.metrics;
  const lines: string[] = [];
  const status = summary.aborted
    ? `stopped on an error: ${errorText(summary.error)}`
    : summary.stopped
    ? "stopped early (in-flight items finished)"
    : summary.failures.length
    ? `finished with ${summary.failures.length} failed item${summary.failures.length === 1 ? "" : "s"}`
    : "finished";
  lines.push(`${status} in ${(summary.durationMs / 1000).toFixed(2)} s`);
  const width = Math.max(...m.stages.map((s) => s.name.length));
  for (const s of m.stages) {
    const counters = Object.entries(s.counters).map(([k, v]) => `${k} ${v}`);
    const errors = s.errors ? [`errors ${s.errors}`] : [];
    const retries = s.retries ? [`retries ${s.retries}`] : [];
    lines.push(
      `  ${s.name.padEnd(width)}  ${s.placement.padEnd(7)} in ${String(s.itemsIn).padStart(6)}  out ${
        String(s.itemsOut).padStart(6)
      }  busy ${(s.busyMs / 1000).toFixed(2).padStart(7)} s${
        [...errors, ...retries, ...counters].length
          ? "  " + [...errors, ...retries, ...counters].join(", ")
          : ""
      }`,
    );
  }
  lines.push(
    `  event-loop lag p50 ${m.lag.p50.toFixed(1)} ms, p99 ${m.lag.p99.toFixed(1)} ms, max ${
      m.lag.max.toFixed(1)
    } ms`,
  );
  if (summary.failures.length) {
    lines.push("failed:");
    for (const f of summary.failures.slice(0, 50)) {
      lines.push(`  [${f.stage}] ${f.item ? f.item + ": " : ""}${f.error}${f.hint ? ` (${f.hint})` : ""}`);
    }
    if (summary.failures.length > 50) lines.push(`  ... and ${summary.failures.length - 50} more`);
  }
  return lines.join("\n");
}

/**
 * The summary as a JSON-ready object (`--json`, `--summary-json`).
 *
 * @example
 * ```ts
 * import { fromIterable, pipeline, runPipeline, sink } from "../engine/pipeline/mod.ts";
 * const summary = await runPipeline(pipeline(fromIterable([1, 2])).to(sink(() => {})));
 * console.log(JSON.stringify(summaryJson(summary)));
 * ```
 */
export function summaryJson(summary: RunSummary): Record<string, unknown> {
  return {
    ok: summary.ok,
    stopped: summary.stopped,
    aborted: summary.aborted,
    error: summary.error === undefined ? undefined : errorText(summary.error),
    durationMs: Math.round(summary.durationMs),
    failures: summary.failures,
    lag: summary.metrics.lag,
    stages: summary.metrics.stages,
  };
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    // A wrapper's own hint ("set STATE_DIR to a writable directory") does not fit a refused permission.
    const hint = permissionProblem(e)?.hint ?? (e as { hint?: string }).hint;
    return hint ? `${e.message} (${hint})` : e.message;
  }
  return String(e);
}
