/**
 * `worker`: joins a sluice cluster and takes units of work until SIGINT/SIGTERM (which stop it after the
 * runs in progress). Each job's pipeline is rebuilt here from the text and variables its submitter stored,
 * with its state stores on the cluster.
 * @module
 */
import process from "node:process";
import { buildPipeline, ConfigErrors, parsePipelineConfig } from "../engine/config/mod.ts";
import { jsonLogger, type Logger, textLogger } from "../engine/pipeline/mod.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { SluiceError } from "../engine/errors.ts";
import { type PreparedJob, runWorker } from "../engine/cluster/worker.ts";
import type { JobRecord } from "../engine/cluster/work_queue.ts";
import { jobVariables } from "../engine/cluster/job_secrets.ts";
import { builtinStages } from "../stages/registry.ts";
import { clusterResources, clusterState } from "./cluster_run.ts";
import { EXIT } from "./exit_codes.ts";

/**
 * Options of {@linkcode workerCommand}.
 *
 * @example
 * ```ts
 * const o: WorkerCommandOptions = { nats: "nats://127.0.0.1:4222" };
 * ```
 */
export interface WorkerCommandOptions {
  /** NATS server(s); default the `NATS_URL` variable. */
  nats?: string;
  /** JSON log lines. */
  json?: boolean;
  /** Only errors. */
  quiet?: boolean;
  /** Debug lines too. */
  verbose?: boolean;
  /** Stops the worker like SIGTERM (tests, scripts). */
  signal?: AbortSignal;
}

/**
 * Runs a worker until a signal; returns the exit code.
 *
 * @example
 * ```ts ignore
 * const code = await workerCommand({ nats: "nats://127.0.0.1:4222" });
 * ```
 */
export async function workerCommand(opts: WorkerCommandOptions): Promise<number> {
  const write = (text: string) => void process.stderr.write(text);
  const level = opts.verbose ? "debug" : opts.quiet ? "error" : "info";
  const logger: Logger = opts.json
    ? jsonLogger(level, (l) => write(l + "\n"))
    : textLogger(level, (l) => write(l + "\n"));
  const nats = opts.nats ?? runtime.env("NATS_URL");
  if (!nats) {
    write("error: no NATS server given\n  hint: pass --nats nats://HOST:4222 or set NATS_URL\n");
    return EXIT.USAGE;
  }
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([stop.signal, opts.signal]) : stop.signal;
  const offs = (["SIGINT", "SIGTERM"] as const).map((sig) =>
    runtime.onSignal(sig, () => {
      if (stop.signal.aborted) return;
      logger.log("warn", `${sig}: taking no more work; the worker stops once its runs have finished`);
      stop.abort();
    })
  );
  try {
    await runWorker({ nats, signal, logger, prepare: (job) => prepareJob(job, nats) });
    return EXIT.OK;
  } finally {
    for (const off of offs) off();
  }
}

/** Rebuilds a job's pipeline from its text and variables; the stages from the distributed one on. */
async function prepareJob(job: JobRecord, nats: string): Promise<PreparedJob> {
  const registry = builtinStages();
  try {
    const spec = await parsePipelineConfig(job.text, job.file, {
      env: jobVariables(job, (name) => runtime.env(name)),
      catalog: registry,
    });
    const pipeline = buildPipeline(spec, registry);
    return {
      stages: pipeline.stages.slice(job.distributeAt),
      state: clusterState(spec, nats),
      resources: clusterResources(spec, nats),
      dryRun: job.dryRun,
    };
  } catch (e) {
    if (e instanceof ConfigErrors) {
      throw new SluiceError(
        "E_CLUSTER_JOB",
        `a worker cannot load ${job.file}: ${e.format()}`,
        "every worker needs the same sluice version and the module stages the pipeline names",
        { cause: e, stopsRun: true },
      );
    }
    throw e;
  }
}
