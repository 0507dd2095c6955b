/**
 * `--every "CRON"` and the YAML's `schedule:`: runs a pipeline again and again in one long-lived
 * process. Runs never overlap (a tick that comes while a run is busy is skipped and logged), and a stop
 * (SIGTERM, wired by the caller to `signal`) lets the current run finish before the promise resolves.
 *
 * Why the CLI uses the timer and not native cron by default: the timer reads an injected
 * {@linkcode Clock}, so the schedule is tested with a manual clock instead of minute boundaries; it
 * behaves the same on Deno (where `Deno.cron` needs `--unstable-cron`) and Bun; and in a long-lived
 * process native cron brings nothing the timer lacks (both fire inside this process). Native cron
 * matters where the platform starts the process for each tick (Deno Deploy): see `deploy.ts`.
 * `useNative: true` (the CLI sets it when `SLUICE_NATIVE_CRON=1`) asks the runtime anyway, and falls
 * back to the timer, saying why, when it has none.
 * @module
 */
import { EXIT } from "./exit_codes.ts";
import type { RuntimeAdapter } from "../engine/runtime/mod.ts";
import { type Clock, type CronTimeZone, runOnSchedule } from "../engine/schedule/mod.ts";

/** Options of {@linkcode scheduleRuns}. */
export interface ScheduleRunsOptions {
  /** Names the schedule in logs (and the native cron job). Default `sluice`. */
  name?: string;
  /** Time source (default the real clock); tests pass a `ManualClock`. */
  clock?: Clock;
  /** Stops the schedule: no new runs; the promise resolves once the current run finished. */
  signal?: AbortSignal;
  /** Where notices go: each run's start, skipped ticks, runs that threw. Default `console.warn`. */
  log?: (level: "info" | "warn", message: string) => void;
  /** Ask the runtime for native cron (Deno.cron, Bun.cron) instead of the timer. Default false. */
  useNative?: boolean;
  /** Which clock the cron fields are read in (default "utc", as native crons). */
  timeZone?: CronTimeZone;
  /** The runtime asked for native cron (default the current one); tests pass a fake. */
  runtime?: Pick<RuntimeAdapter, "nativeCron" | "nativeCronMissingHint">;
}

/**
 * Runs `runOnce` at every tick of the cron expression `expr` until `options.signal` aborts.
 *
 * `runOnce` gets the schedule's stop signal (so it may wind down early; the CLI lets a run finish)
 * and the tick it runs for, and returns the run's exit code (see `exit_codes.ts`).
 *
 * @returns the schedule's exit code once stopped: the worst code of its runs, where a run stopped by
 *   SIGINT/SIGTERM (130) counts as a success and a run that threw counts as {@linkcode EXIT.RUN_FAILED}
 * @throws CronError (as a rejection) when `expr` does not parse
 * @example
 * ```ts
 * import { scheduleRuns } from "./schedule_runs.ts";
 * import { ManualClock } from "../engine/schedule/mod.ts";
 * const clock = new ManualClock("2026-01-01T00:00:00Z");
 * const stop = new AbortController();
 * const done = scheduleRuns("0,5,10 * * * *", async (_signal, tick) => {
 *   console.log("run for", tick.toISOString());
 *   return 0;
 * }, { clock, signal: stop.signal });
 * await clock.advance(10 * 60_000); // two runs: 00:05 and 00:10
 * stop.abort();
 * console.log(await done); // 0
 * ```
 */
export async function scheduleRuns(
  expr: string,
  runOnce: (signal: AbortSignal, tick: Date) => Promise<number>,
  options: ScheduleRunsOptions = {},
): Promise<number> {
  const name = options.name ?? "sluice";
  const log = options.log ?? ((_level, message) => console.warn(message));
  let worst: number = EXIT.OK;
  const summary = await runOnSchedule(expr, async ({ scheduledAt, signal }) => {
    log("info", `${name}: run for ${scheduledAt.toISOString()}`);
    const code = await runOnce(signal, scheduledAt);
    worst = Math.max(worst, code === EXIT.INTERRUPTED ? EXIT.OK : code);
  }, {
    name,
    clock: options.clock,
    signal: options.signal,
    useNative: options.useNative,
    timeZone: options.timeZone,
    runtime: options.runtime,
    log: (message) => log("warn", message),
    onError: (error, scheduledAt) => {
      worst = Math.max(worst, EXIT.RUN_FAILED);
      const why = error instanceof Error ? error.message : String(error);
      log("warn", `${name}: the run for ${scheduledAt.toISOString()} failed: ${why}; the schedule goes on`);
    },
  });
  log(
    "info",
    `${name}: schedule stopped after ${summary.runs} run${summary.runs === 1 ? "" : "s"}` +
      ` (${summary.skipped} skipped tick${summary.skipped === 1 ? "" : "s"}, ${summary.mode})`,
  );
  return worst;
}
