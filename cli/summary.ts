/**
 * The end-of-run summary: items per stage, failures with their item and reason, duration, lag.
 * @module
 */
import type { RunSummary } from "../engine/pipeline/mod.ts";
import { permissionProblem } from "../engine/permission_error.ts";
import { redactUrlsIn } from "../engine/errors.ts";
import { NEXT_ATTEMPT_COUNTER } from "../stages/feeds.ts";

/** What the summary needs to know about how the run was started. */
export interface SummaryContext {
  /** The run's time budget in ms, when it had one (`--budget`, `budget:`): the run's stop signal is it. */
  budgetMs?: number;
}

/**
 * How the run ended, in one line: finished, items failed, stopped by its time budget (what was delivered,
 * the rest next run), nothing tried (every feed backing off, and when the next attempt is), or the error.
 *
 * @example
 * ```ts
 * import { fromIterable, pipeline, runPipeline, sink } from "../engine/pipeline/mod.ts";
 * const summary = await runPipeline(pipeline(fromIterable([1, 2])).to(sink(() => {})));
 * console.error(`rss2imap: ${runStatus(summary, { budgetMs: 50_000 })}`);
 * ```
 */
export function runStatus(summary: RunSummary, context: SummaryContext = {}): string {
  const failed = summary.failures.length;
  const failedText = failed ? `, ${failed} failed item${failed === 1 ? "" : "s"} (listed below)` : "";
  if (budgetReached(summary, context)) {
    const cut = summary.aborted
      ? "; items still in flight after the grace period were stopped and count as not delivered"
      : "";
    return `time budget of ${seconds(context.budgetMs ?? 0)} reached: ${
      delivered(summary)
    } delivered${failedText}` +
      `${cut}; the rest comes next run`;
  }
  if (summary.aborted) return `stopped on an error: ${errorText(summary.error)}`;
  if (summary.stopped) return "stopped early (in-flight items finished)";
  const resting = nothingTried(summary);
  if (resting) {
    return `nothing was tried: all ${resting.feeds} feed${
      resting.feeds === 1 ? " is" : "s are"
    } backing off ` +
      `after failures; the next attempt is due at ${new Date(resting.nextAttemptAt).toISOString()} ` +
      "(`cli.ts state FILE` lists them; `state --forget URL` retries one at once)";
  }
  return failed ? `finished with ${failed} failed item${failed === 1 ? "" : "s"}` : "finished";
}

/**
 * Whether the run's time budget stopped it: its sources stopped, and what was in flight finished or was
 * cut off by the grace period (an error that stopped the run meanwhile is not the budget's doing).
 *
 * @example
 * ```ts
 * import { fromIterable, pipeline, runPipeline, sink } from "../engine/pipeline/mod.ts";
 * const summary = await runPipeline(pipeline(fromIterable([1, 2])).to(sink(() => {})));
 * if (budgetReached(summary, { budgetMs: 50_000 })) console.log("the rest comes next run");
 * else console.log("finished within the budget");
 * ```
 */
export function budgetReached(summary: RunSummary, context: SummaryContext): boolean {
  if (summary.stoppedBy !== "stopSignal" || context.budgetMs === undefined) return false;
  return !summary.aborted || (summary.error as { code?: string } | undefined)?.code === "E_ABORTED";
}

/**
 * Every feed was backing off, so the run fetched nothing: how many, and when the first is due again.
 *
 * @example
 * ```ts
 * import { fromIterable, pipeline, runPipeline, sink } from "../engine/pipeline/mod.ts";
 * const summary = await runPipeline(pipeline(fromIterable([1, 2])).to(sink(() => {})));
 * console.log(nothingTried(summary)); // undefined: the source emitted items
 * ```
 */
export function nothingTried(summary: RunSummary): { feeds: number; nextAttemptAt: number } | undefined {
  const source = summary.metrics.stages[0];
  const next = source?.counters[NEXT_ATTEMPT_COUNTER];
  if (summary.aborted || summary.stopped || !source || source.itemsOut > 0 || next === undefined) {
    return undefined;
  }
  return { feeds: source.counters.backingOff ?? 0, nextAttemptAt: next };
}

/** What the sink took in without failing: messages appended, written or replaced, or its items otherwise. */
function delivered(summary: RunSummary): string {
  const sink = summary.metrics.stages.at(-1);
  if (!sink) return "nothing";
  const c = sink.counters;
  if (c.appended !== undefined || c.written !== undefined || c.replaced !== undefined) {
    const n = (c.appended ?? 0) + (c.written ?? 0) + (c.replaced ?? 0);
    return `${n} message${n === 1 ? "" : "s"}`;
  }
  const n = sink.itemsDone;
  return `${n} item${n === 1 ? "" : "s"}`;
}

function seconds(ms: number): string {
  return ms % 60_000 === 0 && ms >= 60_000 ? `${ms / 60_000} min` : `${+(ms / 1000).toFixed(3)} s`;
}

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
export function summaryText(summary: RunSummary, context: SummaryContext = {}): string {
  const m = summary.metrics;
  const lines: string[] = [];
  const status = runStatus(summary, context);
  lines.push(`${status} in ${(summary.durationMs / 1000).toFixed(2)} s`);
  const width = Math.max(...m.stages.map((s) => s.name.length));
  for (const s of m.stages) {
    const counters = Object.entries(s.counters).map(([k, v]) =>
      k === NEXT_ATTEMPT_COUNTER ? `${k} ${new Date(v).toISOString()}` : `${k} ${v}`
    );
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
  const own = m.lag.withoutCpuWait;
  lines.push(
    `  event-loop lag p50 ${m.lag.p50.toFixed(1)} ms, p99 ${m.lag.p99.toFixed(1)} ms, max ${
      m.lag.max.toFixed(1)
    } ms${
      own
        ? `; less the thread's wait for a CPU: p50 ${own.p50.toFixed(1)} ms, p99 ${
          own.p99.toFixed(1)
        } ms, max ${own.max.toFixed(1)} ms`
        : ""
    }`,
  );
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  lines.push(
    `  bytes in flight at most ${mb(m.memory.highWater)} MB (budget ${mb(m.memory.limit)} MB, --max-memory)`,
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
export function summaryJson(summary: RunSummary, context: SummaryContext = {}): Record<string, unknown> {
  const resting = nothingTried(summary);
  return {
    ok: summary.ok,
    status: runStatus(summary, context),
    stopped: summary.stopped,
    aborted: summary.aborted,
    budgetReached: budgetReached(summary, context),
    nothingTried: resting !== undefined,
    nextAttemptAt: resting ? new Date(resting.nextAttemptAt).toISOString() : undefined,
    error: summary.error === undefined ? undefined : errorText(summary.error),
    durationMs: Math.round(summary.durationMs),
    failures: summary.failures,
    lag: summary.metrics.lag,
    memory: summary.metrics.memory,
    stages: summary.metrics.stages,
  };
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    // A wrapper's own hint ("set STATE_DIR to a writable directory") does not fit a refused permission.
    const hint = permissionProblem(e)?.hint ?? (e as { hint?: string }).hint;
    return redactUrlsIn(hint ? `${e.message} (${hint})` : e.message);
  }
  return redactUrlsIn(String(e));
}
