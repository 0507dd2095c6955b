/**
 * `run`: loads a pipeline file, runs it once (or on a schedule), shows progress and the summary, and
 * turns the outcome into an exit code.
 * @module
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import {
  jsonLogger,
  type Logger,
  type Pipeline,
  RunMetrics,
  type RunOptions,
  runPipeline,
  RunResources,
  type RunSummary,
  textLogger,
  Tracer,
  withOptions,
} from "../engine/pipeline/mod.ts";
import { Chain } from "../engine/pipeline/pipeline.ts";
import type { PipelineSpec } from "../engine/config/mod.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { LOOP_THREAD_SLICE_NS } from "../engine/runtime/thread_slice.ts";
import type { MetricsServer, PipelineMonitor } from "../engine/monitor/mod.ts";
import { type Clock, TimeBudget } from "../engine/schedule/mod.ts";
import { EXIT } from "./exit_codes.ts";
import { loadOrReport } from "./load.ts";
import { scheduleRuns } from "./schedule_runs.ts";
import { type ProgressMode, startProgress } from "./progress.ts";
import {
  budgetReached,
  nothingTried,
  runStatus,
  type SummaryContext,
  summaryJson,
  summaryText,
} from "./summary.ts";

/** Options of {@linkcode runCommand} (from the command line). */
export interface RunCommandOptions {
  file: string;
  dryRun?: string;
  every?: string;
  budgetMs?: number;
  trace?: string;
  /** `HOST:PORT` to serve `/metrics` and `/healthz` on while the pipeline runs (over the YAML's `metrics:`). */
  metrics?: string;
  json?: boolean;
  summaryJson?: string;
  quiet?: boolean;
  verbose?: boolean;
  placement?: "loop";
  sequential?: boolean;
  graceMs?: number;
  /** Workers of the run's pool (`--pool N`); undefined: the file's `pool: { size }`, else the default. */
  poolSize?: number;
  /** `--wait-lock`: how long to wait for another run holding the state (default: exit 75 at once). */
  waitLockMs?: number;
  /** `--max-memory` in bytes: the run's memory budget (default the YAML's `memory:`, else 64 MiB). */
  maxMemory?: number;
  /** Time source of the schedule and the budget (default the real clock); for tests and scripts. */
  clock?: Clock;
  /** Stops a schedule like SIGTERM does (for scripts and tests; the CLI wires the signals itself). */
  signal?: AbortSignal;
  /** Run on the cluster at these NATS server(s) (`--nats`; else `cluster: { nats }` in the file). */
  nats?: string;
}

/**
 * Runs the pipeline in `opts.file` and returns the exit code.
 *
 * @example Not run here: a run of rss2imap needs feeds and a mailbox (`tests/cli_test.ts` runs it).
 * ```ts ignore
 * const code = await runCommand({ file: "pipelines/rss2imap.yaml", dryRun: "./out" });
 * ```
 */
export async function runCommand(opts: RunCommandOptions): Promise<number> {
  const write = (text: string) => void process.stderr.write(text);
  const logger: Logger = opts.json
    ? jsonLogger(opts.verbose ? "debug" : opts.quiet ? "error" : "info", (l) => write(l + "\n"))
    : textLogger(opts.verbose ? "debug" : opts.quiet ? "error" : "info", (l) => write(l + "\n"));
  // The variables the file uses, as seen here: a cluster run hands them to its workers.
  const used: Record<string, string> = {};
  const loaded = await loadOrReport(opts.file, (name) => {
    const value = runtime.env(name);
    if (value !== undefined) used[name] = value;
    return value;
  });
  if (typeof loaded === "number") return loaded;
  // This thread runs the pipeline's event loop: on a busy machine it gets a core soon after it wakes (a
  // timer, a socket ready) with the kernel's shortest time slices (Linux 6.12+; engine/runtime/thread_slice.ts).
  runtime.shortenThreadSlice?.(LOOP_THREAD_SLICE_NS);
  const { spec } = loaded;
  const pipeline = comparisonMode(loaded.pipeline, opts);
  const schedule = opts.every ?? spec.schedule;
  const budgetMs = opts.budgetMs ?? spec.budget;
  const maxMemory = opts.maxMemory ?? spec.memory;
  const poolSize = opts.poolSize ?? spec.pool?.size;
  const nats = opts.nats ?? spec.cluster?.nats;
  const execute: Execute = nats ? await clusterExecute(nats, spec, pipeline, used, opts, logger) : {
    newMetrics: () => new RunMetrics(),
    run: (metrics, options) => runPipeline(pipeline, { ...options, metrics }),
  };
  const address = opts.metrics ?? spec.metrics;
  let monitor: PipelineMonitor | undefined;
  let server: MetricsServer | undefined;
  if (address) {
    const { PipelineMonitor, serveMetrics } = await import("../engine/monitor/mod.ts");
    monitor = new PipelineMonitor();
    server = await serveMetrics(address, monitor);
    logger.log("info", `metrics at ${server.url}/metrics, health at ${server.url}/healthz`);
  }
  try {
    return await runOrSchedule(
      execute,
      { name: spec.name, schedule, nats },
      { ...opts, budgetMs, poolSize, maxMemory },
      logger,
      write,
      monitor,
    );
  } finally {
    await server?.close();
  }
}

async function runOrSchedule(
  execute: Execute,
  { name, schedule, nats }: { name: string; schedule: string | undefined; nats: string | undefined },
  opts: RunCommandOptions,
  logger: Logger,
  write: (text: string) => void,
  monitor: PipelineMonitor | undefined,
): Promise<number> {
  const once = () => runOnce(execute, name, opts, logger, write, monitor);
  const exitOf = (summary: RunSummary) => exitCodeOf(summary, { budgetMs: opts.budgetMs });
  if (!schedule) return exitOf(await once());

  const stop = new AbortController();
  const stopOn = opts.signal ? AbortSignal.any([stop.signal, opts.signal]) : stop.signal;
  const offs = (["SIGINT", "SIGTERM"] as const).map((sig) =>
    runtime.onSignal(sig, () => {
      if (stop.signal.aborted) return;
      logger.log(
        "warn",
        `${sig}: no new runs; the schedule stops once the current run (if any) has finished`,
      );
      stop.abort();
    })
  );
  const useNative = runtime.env("SLUICE_NATIVE_CRON") === "1";
  logger.log(
    "info",
    `${name}: running on schedule "${schedule}" (UTC${useNative ? ", native cron asked for" : ""}); ` +
      "SIGTERM or Ctrl-C stops after the current run",
  );
  try {
    return await scheduleRuns(schedule, async (_signal, tick) => {
      // On a cluster, every process running this schedule claims the tick; one of them runs it.
      if (nats) {
        const { claimTick } = await import("../engine/cluster/tick_claim.ts");
        if (!await claimTick(nats, name, tick, `${runtime.name}:${process.pid}`)) {
          logger.log("info", `${name}: the run for ${tick.toISOString()} is taken by another process`);
          return EXIT.OK;
        }
      }
      return exitOf(await once());
    }, {
      name,
      clock: opts.clock,
      signal: stopOn,
      useNative,
      log: (level, message) => logger.log(level, message),
    });
  } finally {
    for (const off of offs) off();
  }
}

/** How one run goes: here, or on a cluster. `run` fills the metrics `newMetrics` made. */
interface Execute {
  newMetrics(): RunMetrics;
  run(metrics: RunMetrics, options: Omit<RunOptions, "metrics">): Promise<RunSummary>;
}

/** The cluster's way to run once: the job goes to the workers, the source runs here. */
async function clusterExecute(
  nats: string,
  spec: PipelineSpec,
  pipeline: Pipeline,
  env: Record<string, string>,
  opts: RunCommandOptions,
  logger: Logger,
): Promise<Execute> {
  const { readFile } = await import("node:fs/promises");
  const { clusterResources, clusterState, planClusterRun } = await import("./cluster_run.ts");
  const { openStore } = await import("../engine/state/mod.ts");
  const { acquireLease } = await import("../engine/state/lease.ts");
  const { ClusterMetrics, submitRun } = await import("../engine/cluster/submit.ts");
  const { redactUrl } = await import("../engine/errors.ts");
  const text = await readFile(spec.file, "utf8");
  const resources = clusterResources(spec, nats);
  const dryRun = opts.dryRun ? path.resolve(opts.dryRun) : undefined;
  const plan = planClusterRun(spec, pipeline, text, env, dryRun, nats);
  logger.log(
    "info",
    `${spec.name}: running on the cluster at ${nats.split(",").map(redactUrl).join(",")}; workers take ` +
      `each item from \`${plan.remote[0]?.name}\` on`,
  );
  return {
    newMetrics: () => new ClusterMetrics(plan.remote),
    async run(metrics, options) {
      // The submitter holds the state's run lease for the whole job (one cluster run per state at a time);
      // its own stages and the workers' runs use the state without taking it.
      const store = await openStore(clusterState(spec, nats));
      try {
        const lease = await acquireLease(store, {
          waitMs: options.waitLockMs,
          log: (message) => logger.log("warn", message),
        });
        try {
          return await submitRun({
            nats,
            job: plan.job,
            local: plan.local,
            metrics: metrics as InstanceType<typeof ClusterMetrics>,
            run: { ...options, resources: resources() },
          });
        } finally {
          await lease.release();
        }
      } finally {
        await store.close();
      }
    },
  };
}

async function runOnce(
  execute: Execute,
  name: string,
  opts: RunCommandOptions,
  logger: Logger,
  write: (text: string) => void,
  monitor?: PipelineMonitor,
): Promise<RunSummary> {
  const metrics = execute.newMetrics();
  const resources = new RunResources();
  monitor?.runStarted(metrics, resources);
  const tracer = new Tracer(Boolean(opts.trace));
  const mode: ProgressMode = opts.quiet ? "off" : opts.json ? "json" : runtime.isTerminal() ? "tty" : "lines";
  const budget = opts.budgetMs ? new TimeBudget(opts.budgetMs, { clock: opts.clock }) : undefined;
  const stopProgress = startProgress(metrics, mode, write);
  let summary: RunSummary;
  try {
    summary = await execute.run(metrics, {
      handleSignals: true,
      graceMs: opts.graceMs,
      poolSize: opts.poolSize,
      waitLockMs: opts.waitLockMs,
      maxMemory: opts.maxMemory,
      stopSignal: budget?.signal,
      dryRun: opts.dryRun ? path.resolve(opts.dryRun) : undefined,
      placementOverride: opts.placement ?? (opts.sequential ? "loop" : undefined),
      logger,
      resources,
      tracer,
    });
  } finally {
    stopProgress();
    budget?.dispose();
  }
  monitor?.runFinished(summary, exitCodeOf(summary, { budgetMs: opts.budgetMs }));
  if (opts.trace) {
    await tracer.write(opts.trace);
    logger.log("info", `trace written to ${opts.trace} (open it in https://ui.perfetto.dev)`);
  }
  const context = { budgetMs: opts.budgetMs };
  if (opts.summaryJson) {
    await writeFile(opts.summaryJson, JSON.stringify(summaryJson(summary, context), null, 2));
  }
  if (opts.json) write(JSON.stringify({ summary: summaryJson(summary, context) }) + "\n");
  else if (opts.quiet && summary.aborted && !budgetReached(summary, context)) {
    // Quiet keeps the reason of a stopped run (a state in use, a damaged state): it is the one line.
    write(`${name}: ${summaryText(summary, context).split("\n")[0]}\n`);
  } else if (opts.quiet) write(`${name}: ${runStatus(summary, context)}\n`);
  else write(`${name}: ${summaryText(summary, context)}\n`);
  if (opts.dryRun) {
    logger.log("info", `dry run: messages written to ${path.resolve(opts.dryRun)}, nothing sent`);
  }
  return summary;
}

/** `--sequential`: every stage one item at a time (and on the loop, set by the caller). */
function comparisonMode(pipeline: Pipeline, opts: RunCommandOptions): Pipeline {
  if (!opts.sequential) return pipeline;
  return new Chain<never, unknown>(
    pipeline.stages.map((s) => withOptions(s, { concurrency: 1, capacity: 1 })),
    pipeline.state,
  );
}

/**
 * The exit code of a finished run (see `exit_codes.ts`). A run its time budget stopped exits as one that
 * finished (0, or 2 with failed items), grace period run out included: the rest comes next run.
 *
 * @example
 * ```ts
 * import { fromIterable, pipeline, runPipeline, sink } from "../engine/pipeline/mod.ts";
 * const summary = await runPipeline(pipeline(fromIterable([1, 2])).to(sink(() => {})));
 * console.log(exitCodeOf(summary, { budgetMs: 50_000 })); // 0
 * ```
 */
export function exitCodeOf(summary: RunSummary, context: SummaryContext = {}): number {
  if (summary.aborted && !budgetReached(summary, context)) {
    const code = (summary.error as { code?: string })?.code;
    if (code === "E_STATE_LEASED") return EXIT.STATE_IN_USE;
    return code === "E_ABORTED" ? EXIT.INTERRUPTED : EXIT.RUN_FAILED;
  }
  if (summary.stoppedBy === "signal") return EXIT.INTERRUPTED;
  if (summary.failures.length) return EXIT.ITEMS_FAILED;
  return nothingTried(summary) ? EXIT.NOTHING_TRIED : EXIT.OK;
}
