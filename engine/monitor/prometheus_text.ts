/**
 * The Prometheus text exposition format (version 0.0.4) of a {@linkcode MonitorSnapshot}: `# HELP` and
 * `# TYPE` per family, one sample a line, `sluice_` names, `_total` counters, seconds. Written here
 * rather than with a client library: the format is small, and `prom-client` is built for Node's
 * process model (its default collectors read Node-only internals).
 * @module
 */
import { PROCESSING_BUCKETS_S } from "../pipeline/mod.ts";
import type { MonitorSnapshot } from "./pipeline_monitor.ts";

/**
 * The content type of the format, for the `Content-Type` header.
 *
 * @example
 * ```ts
 * import { PROMETHEUS_CONTENT_TYPE } from "./prometheus_text.ts";
 * console.log(PROMETHEUS_CONTENT_TYPE.startsWith("text/plain")); // true
 * ```
 */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string>;

/** Collects the families in order, each with its help line, type and samples. */
class Exposition {
  #lines: string[] = [];

  family(name: string, type: "counter" | "gauge" | "histogram", help: string): this {
    this.#lines.push(
      `# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`,
      `# TYPE ${name} ${type}`,
    );
    return this;
  }

  sample(name: string, labels: Labels, value: number): this {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    this.#lines.push(`${name}${pairs.length ? `{${pairs.join(",")}}` : ""} ${formatValue(value)}`);
    return this;
  }

  text(): string {
    return this.#lines.join("\n") + "\n";
  }
}

/**
 * Renders `s` in the Prometheus text format.
 *
 * @example
 * ```ts
 * import { prometheusText } from "./prometheus_text.ts";
 * const text = prometheusText({ stages: [], lag: { p50: 0, p99: 0, max: 0 },
 *   runs: { started: 1, finished: 0, failed: 0, inProgress: true } });
 * console.log(text.includes("sluice_runs_started_total 1")); // true
 * ```
 */
export function prometheusText(s: MonitorSnapshot): string {
  const out = new Exposition();
  const perStage = (
    name: string,
    type: "counter" | "gauge",
    help: string,
    value: (st: MonitorSnapshot["stages"][number]) => number,
  ) => {
    out.family(name, type, help);
    for (const st of s.stages) out.sample(name, { stage: st.name }, value(st));
  };
  perStage(
    "sluice_stage_items_in_total",
    "counter",
    "Items a stage took from its input.",
    (st) => st.itemsIn,
  );
  perStage("sluice_stage_items_out_total", "counter", "Items a stage sent downstream.", (st) => st.itemsOut);
  perStage(
    "sluice_stage_items_failed_total",
    "counter",
    "Items that failed for good in a stage, after their retries.",
    (st) => st.errors,
  );
  perStage(
    "sluice_stage_items_retried_total",
    "counter",
    "Retry attempts of a stage (each item's first attempt not counted).",
    (st) => st.retries,
  );
  perStage(
    "sluice_stage_items_dead_lettered_total",
    "counter",
    "Failed items written to a stage's dead-letter file.",
    (st) => st.deadLettered,
  );
  perStage(
    "sluice_stage_items_dropped_total",
    "counter",
    "Failed items a stage skipped (on-error: drop).",
    (st) => st.dropped,
  );
  perStage(
    "sluice_stage_queue_depth",
    "gauge",
    "Items waiting in a stage's input channel.",
    (st) => st.queueDepth,
  );
  perStage("sluice_stage_in_flight", "gauge", "Items a stage is processing right now.", (st) => st.inFlight);
  perStage("sluice_stage_concurrency", "gauge", "Items a stage may process at once.", (st) => st.concurrency);

  out.family("sluice_stage_processing_seconds", "histogram", "Time a stage took per item, retries included.");
  for (const st of s.stages) {
    let cumulative = 0;
    PROCESSING_BUCKETS_S.forEach((le, i) => {
      cumulative += st.processing[i] ?? 0;
      out.sample("sluice_stage_processing_seconds_bucket", { stage: st.name, le: String(le) }, cumulative);
    });
    cumulative += st.processing[PROCESSING_BUCKETS_S.length] ?? 0;
    out.sample("sluice_stage_processing_seconds_bucket", { stage: st.name, le: "+Inf" }, cumulative);
    out.sample("sluice_stage_processing_seconds_sum", { stage: st.name }, st.busyMs / 1000);
    out.sample("sluice_stage_processing_seconds_count", { stage: st.name }, cumulative);
  }

  out.family(
    "sluice_stage_events_total",
    "counter",
    "Events a stage counts by name (notModified, imagesFetched...).",
  );
  for (const st of s.stages) {
    for (const [event, n] of Object.entries(st.counters)) {
      out.sample("sluice_stage_events_total", { stage: st.name, event }, n);
    }
  }

  out.family("sluice_pool_workers", "gauge", "Live workers of the run's worker pool.");
  out.sample("sluice_pool_workers", {}, s.pool?.workers ?? 0);
  out.family("sluice_pool_busy_workers", "gauge", "Workers of the pool running a task.");
  out.sample("sluice_pool_busy_workers", {}, s.pool?.busy ?? 0);
  out.family("sluice_pool_queued_tasks", "gauge", "Tasks waiting for a worker of the pool.");
  out.sample("sluice_pool_queued_tasks", {}, s.pool?.queued ?? 0);

  out.family(
    "sluice_event_loop_lag_seconds",
    "gauge",
    "How late the event loop's 100 ms heartbeat fired during the run (quantile 1 is the maximum).",
  );
  out.sample("sluice_event_loop_lag_seconds", { quantile: "0.5" }, s.lag.p50 / 1000);
  out.sample("sluice_event_loop_lag_seconds", { quantile: "0.99" }, s.lag.p99 / 1000);
  out.sample("sluice_event_loop_lag_seconds", { quantile: "1" }, s.lag.max / 1000);

  out.family("sluice_runs_started_total", "counter", "Runs of the pipeline started.");
  out.sample("sluice_runs_started_total", {}, s.runs.started);
  out.family(
    "sluice_runs_finished_total",
    "counter",
    "Runs of the pipeline that finished, whatever their outcome.",
  );
  out.sample("sluice_runs_finished_total", {}, s.runs.finished);
  out.family(
    "sluice_runs_failed_total",
    "counter",
    "Runs that failed: stopped on an error (exit 3) or tried nothing (exit 4).",
  );
  out.sample("sluice_runs_failed_total", {}, s.runs.failed);
  out.family("sluice_run_in_progress", "gauge", "1 while a run goes on, 0 between runs.");
  out.sample("sluice_run_in_progress", {}, s.runs.inProgress ? 1 : 0);
  if (s.last) {
    out.family(
      "sluice_last_run_exit_status",
      "gauge",
      "Exit status of the last finished run (0 ok, 2 items failed, 3 failed, 4 nothing tried).",
    );
    out.sample("sluice_last_run_exit_status", {}, s.last.exitStatus);
    out.family("sluice_last_run_duration_seconds", "gauge", "Wall-clock length of the last finished run.");
    out.sample("sluice_last_run_duration_seconds", {}, s.last.durationS);
    out.family(
      "sluice_last_run_finished_timestamp_seconds",
      "gauge",
      "When the last run finished (Unix time).",
    );
    out.sample("sluice_last_run_finished_timestamp_seconds", {}, s.last.finishedAtS);
  }
  return out.text();
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
