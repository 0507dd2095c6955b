/**
 * sluice on Deno Deploy (serverless): the platform fires `Deno.cron`, each tick runs the pipeline for
 * at most a time budget, and the state lives in Deno KV, so the next tick continues where this one
 * stopped.
 *
 * Make this file the app's entrypoint. At the top level it registers one cron job (Deploy discovers
 * cron jobs by evaluating the entrypoint's top-level code). Settings come from the environment:
 *
 * - `SLUICE_PIPELINE`: a pipeline YAML file (default `pipelines/rss2imap.yaml` beside this file), or
 *   `rss2imap.ts` for the TypeScript rss2imap (which then reads `FEEDS`, `IMAP_URL`, `MAILDIR`).
 * - `SLUICE_CRON`: the 5-field schedule, UTC (default: every 15 minutes); `off` registers nothing.
 * - `SLUICE_BUDGET`: how long a tick may take new work (default `50s`); in-flight items then get up
 *   to `SLUICE_GRACE` (default `10s`) to finish.
 * - `STATE_DIR`: defaults to `kv:` (the app's Deno KV) where Deno KV exists, else `./.sluice`.
 * - the pipeline's own variables (`FEEDS`, `IMAP_URL`, ...).
 *
 * Deploy has no Worker: the worker pool then runs `pool` stages (parse) on the event loop.
 *
 * Locally: `deno run -A --unstable-kv --unstable-cron deploy.ts` behaves the same with a local KV.
 * Imported (by tests or a script) it registers nothing: call {@linkcode runTick} yourself.
 * @module
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SluiceError } from "./engine/errors.ts";
import { parseDuration } from "./engine/config/duration.ts";
import { WorkerPool } from "./engine/kernel/mod.ts";
import {
  type Logger,
  type Pipeline,
  runPipeline,
  type RunSummary,
  textLogger,
} from "./engine/pipeline/mod.ts";
import { type CronHandle, runtime, type RuntimeAdapter } from "./engine/runtime/mod.ts";
import { kvSupport } from "./engine/runtime/kv.ts";
import { type Clock, parseCron, TimeBudget } from "./engine/schedule/mod.ts";
import { loadPipeline } from "./cli/load.ts";
import { summaryText } from "./cli/summary.ts";
import { rss2imap } from "./pipelines/rss2imap.ts";

/** The default schedule: every 15 minutes (UTC). */
export const DEFAULT_CRON = "*/15 * * * *";
/** The default time budget of one tick, in milliseconds (Deploy ends long-running invocations). */
export const DEFAULT_BUDGET_MS = 50_000;
/** The default time in-flight items get after the budget, in milliseconds. */
export const DEFAULT_GRACE_MS = 10_000;
/** The value of `SLUICE_PIPELINE` that selects the TypeScript rss2imap. */
export const TS_RSS2IMAP = "rss2imap.ts";

/** rss2imap.yaml beside this file; relative to the working folder when this module was loaded by URL. */
function defaultPipeline(): string {
  const url = new URL("./pipelines/rss2imap.yaml", import.meta.url);
  return url.protocol === "file:" ? fileURLToPath(url) : "pipelines/rss2imap.yaml";
}

/**
 * A deploy setting (`SLUICE_BUDGET`, `SLUICE_CRON`, ...) that does not parse.
 *
 * @example
 * ```ts
 * import { DeploySettingError } from "./deploy.ts";
 * const e = new DeploySettingError("SLUICE_BUDGET", "soon", "is not a duration", "write one such as 50s");
 * console.log(e.message); // SLUICE_BUDGET=`soon` is not a duration
 * ```
 */
export class DeploySettingError extends SluiceError {
  /**
   * An `E_DEPLOY_SETTING` error whose message shows the variable and its value (so never pass a secret).
   * @param name the environment variable
   * @param value what it was set to
   * @param problem what is wrong with it
   * @param hint what to write instead
   */
  constructor(name: string, value: string, problem: string, hint: string, options?: ErrorOptions) {
    super("E_DEPLOY_SETTING", `${name}=\`${value}\` ${problem}`, hint, options);
  }
}

/**
 * rss2imap without `IMAP_URL` writes a Maildir; on Deno Deploy the filesystem is the deployment's own and
 * does not last (nor is it writable), so the mail would be lost while the state, in Deno KV, says it was
 * delivered. Another pipeline (`SLUICE_PIPELINE`) is its author's to judge.
 */
function refuseEphemeralMaildir(env: Record<string, string | undefined>, pipeline: string): void {
  const onDeploy = Boolean(env.DENO_DEPLOYMENT_ID) || runtime.name === "deno-deploy";
  const rss2imap = pipeline === defaultPipeline() || pipeline === TS_RSS2IMAP ||
    pipeline.endsWith(`pipelines/${TS_RSS2IMAP}`) || pipeline.endsWith("pipelines/rss2imap.yaml");
  if (!onDeploy || !rss2imap || env.IMAP_URL) return;
  throw new SluiceError(
    "E_DEPLOY_SETTING",
    "IMAP_URL is not set: on Deno Deploy rss2imap would write its mail to a Maildir on the deployment's " +
      "filesystem, which does not last, while the state (Deno KV) records it as delivered; refusing to start",
    "set IMAP_URL to imaps://USER:PASSWORD@HOST (or imap://... with STARTTLS) in the project's environment " +
      "variables",
  );
}

/** Options of {@linkcode runTick}; each defaults to the environment described in the module doc. */
export interface TickOptions {
  /** The longest the sources take new work, in ms (default `SLUICE_BUDGET` or 50 s). */
  budgetMs?: number;
  /** How long in-flight items may finish after the budget, in ms (default `SLUICE_GRACE` or 10 s). */
  graceMs?: number;
  /** Aborts the tick at once (in-flight items are abandoned; the ledger re-delivers them next time). */
  signal?: AbortSignal;
  /** The environment the pipeline is read with (default the process's); `STATE_DIR` gets its default. */
  env?: Record<string, string | undefined>;
  /** The pool for `pool` stages (default a new one: Workers where they exist, else the event loop). */
  pool?: WorkerPool;
  /** Where the run logs (default text lines at `info` on stderr). */
  logger?: Logger;
  /** The budget's clock (default the real one); tests pass a ManualClock. */
  clock?: Clock;
}

/**
 * Reads the deploy settings from an environment, with the defaults of the module doc.
 *
 * @throws DeploySettingError for a budget, grace or schedule that does not parse, or rss2imap on Deno Deploy
 *   without `IMAP_URL` (its Maildir would be written to a filesystem that does not last)
 * @example
 * ```ts
 * import { DEFAULT_CRON, deploySettings } from "./deploy.ts";
 * const s = deploySettings({ SLUICE_BUDGET: "20s" });
 * console.log(s.budgetMs, s.cron === DEFAULT_CRON); // 20000 true
 * ```
 */
export function deploySettings(env: Record<string, string | undefined>): {
  pipeline: string;
  cron: string;
  budgetMs: number;
  graceMs: number;
  stateDir: string;
} {
  const duration = (name: string, fallback: number) => {
    const text = env[name];
    if (text === undefined || text === "") return fallback;
    try {
      return parseDuration(text);
    } catch (cause) {
      throw new DeploySettingError(name, text, "is not a duration", "write one such as 50s, 2m or 1500ms", {
        cause,
      });
    }
  };
  const cron = env.SLUICE_CRON || DEFAULT_CRON;
  if (cron !== "off") {
    try {
      parseCron(cron);
    } catch (cause) {
      const why = (cause as { hint?: string }).hint ?? "";
      throw new DeploySettingError(
        "SLUICE_CRON",
        cron,
        `is not a schedule: ${(cause as Error).message}`,
        `${why}; or \`off\``,
        {
          cause,
        },
      );
    }
  }
  const pipeline = env.SLUICE_PIPELINE || defaultPipeline();
  refuseEphemeralMaildir(env, pipeline);
  return {
    pipeline,
    cron,
    budgetMs: duration("SLUICE_BUDGET", DEFAULT_BUDGET_MS),
    graceMs: duration("SLUICE_GRACE", DEFAULT_GRACE_MS),
    stateDir: env.STATE_DIR || (kvSupport().available ? "kv:" : "./.sluice"),
  };
}

/**
 * Runs the pipeline once with a time budget: at the deadline the sources stop and in-flight items
 * finish; what was not reached is delivered by the next tick (a feed's validators are committed only
 * once all its new entries are delivered, so an unfinished feed is fetched again in full, and the
 * delivered ids keep anything from going twice).
 *
 * @returns the run's summary (`stopped` and `stoppedBy: "stopSignal"` when the budget ran out)
 * @example Not run here: a tick fetches the feeds and delivers to the mailbox (`tests/deploy_test.ts` runs it).
 * ```ts ignore
 * import { runTick } from "./deploy.ts";
 * const summary = await runTick({ budgetMs: 20_000, env: { FEEDS: "feeds.txt", STATE_DIR: "kv:" } });
 * console.log(summary.stopped ? "out of time: continues next tick" : "all done");
 * ```
 */
export async function runTick(options: TickOptions = {}): Promise<RunSummary> {
  const given = options.env ?? runtime.envObject();
  const settings = deploySettings(given);
  const env = { ...given, STATE_DIR: settings.stateDir };
  const logger = options.logger ?? textLogger("info");
  const pipeline = await tickPipeline(settings.pipeline, env);
  const pool = options.pool ?? new WorkerPool();
  const budgetMs = options.budgetMs ?? settings.budgetMs;
  const budget = new TimeBudget(budgetMs, { clock: options.clock, signal: options.signal });
  logger.log(
    "info",
    `tick: ${path.basename(settings.pipeline)}, budget ${budgetMs} ms, state ${settings.stateDir}, ` +
      `pool stages on ${pool.usesWorkers ? "workers" : "the event loop"}`,
  );
  try {
    const summary = await runPipeline(pipeline, {
      stopSignal: budget.signal,
      signal: options.signal,
      graceMs: options.graceMs ?? settings.graceMs,
      pool,
      logger,
    });
    logger.log("info", `tick: ${summaryText(summary, { budgetMs })}`);
    return summary;
  } finally {
    budget.dispose();
    if (!options.pool) await pool.close();
  }
}

/** The YAML file's pipeline, or the TypeScript rss2imap. */
async function tickPipeline(file: string, env: Record<string, string | undefined>): Promise<Pipeline> {
  if (file === TS_RSS2IMAP || file.endsWith(`pipelines/${TS_RSS2IMAP}`)) {
    return rss2imap({
      feeds: env.FEEDS,
      imapUrl: env.IMAP_URL,
      maildir: env.MAILDIR,
      state: env.STATE_DIR,
    });
  }
  return (await loadPipeline(file, env)).pipeline;
}

/** Options of {@linkcode registerDeployCron}. */
export interface DeployCronOptions {
  /** The schedule (default `SLUICE_CRON` or every 15 minutes); `off` registers nothing. */
  cron?: string;
  /** What each tick does (default {@linkcode runTick} with the environment). */
  tick?: () => Promise<unknown>;
  /** The runtime asked for native cron (default the current one); tests pass a fake. */
  runtime?: Pick<RuntimeAdapter, "nativeCron" | "nativeCronMissingHint">;
  /** Where notices go (default `console.warn`). */
  log?: (message: string) => void;
}

/**
 * Registers the tick with the runtime's native cron (`Deno.cron` on Deno and Deploy, `Bun.cron` on
 * Bun). Where there is none it registers nothing and logs why (Deno: run with `--unstable-cron`). A
 * tick that comes while one is still running is skipped (Deno.cron does so too; this covers Bun).
 *
 * @returns the job's handle, or undefined when nothing was registered
 * @example Not run here: it registers a job with the runtime's cron, which outlives the example.
 * ```ts ignore
 * import { registerDeployCron } from "./deploy.ts";
 * const job = registerDeployCron({ cron: "@hourly" });
 * job?.stop();
 * ```
 */
export function registerDeployCron(options: DeployCronOptions = {}): CronHandle | undefined {
  const log = options.log ?? ((message: string) => console.warn(message));
  const env = runtime.envObject();
  const cron = options.cron ?? deploySettings(env).cron;
  if (cron === "off") {
    log("sluice deploy: SLUICE_CRON=off, no cron job registered");
    return undefined;
  }
  const rt = options.runtime ?? runtime;
  const tick = options.tick ?? (() => runTick());
  let busy = false;
  const handle = rt.nativeCron("sluice", parseCron(cron).fields, async () => {
    if (busy) {
      log("sluice deploy: tick skipped, the previous one is still running");
      return;
    }
    busy = true;
    try {
      await tick();
    } catch (error) {
      // Logged, not thrown: a throw would make Deno.cron retry at once, on top of the next tick.
      log(`sluice deploy: the tick failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      busy = false;
    }
  });
  if (!handle) {
    const hint = rt.nativeCronMissingHint() ?? "this runtime has no native cron";
    log(
      `sluice deploy: no native cron here (${hint}); nothing registered. Use \`cli.ts FILE --every CRON\` instead`,
    );
    return undefined;
  }
  log(`sluice deploy: cron "${cron}" (UTC) registered`);
  return handle;
}

/** As the entrypoint (or anywhere on Deploy), register at the top level, where Deploy looks for it. */
if (import.meta.main || runtime.name === "deno-deploy") registerDeployCron();
