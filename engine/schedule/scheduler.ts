/**
 * Runs a job on a cron schedule for as long as a process lives, never two runs at once: a tick that
 * comes while a run is busy is skipped and reported. Stopping (the caller aborts `signal`, e.g. on
 * SIGTERM) lets the current run finish, then the promise resolves.
 * @module
 */
import { runtime as currentRuntime, type RuntimeAdapter } from "../runtime/mod.ts";
import { type Clock, realClock } from "./clock.ts";
import { type CronTimeZone, nextFire, parseCron } from "./cron.ts";

/**
 * What a run gets: the tick it belongs to and the scheduler's stop signal (aborted when asked to stop;
 * the run is still awaited, so a job can use it to wind down early).
 *
 * @example
 * ```ts
 * const job = async ({ scheduledAt, signal }: ScheduledTick) => {
 *   if (!signal.aborted) console.log("tick", scheduledAt.toISOString());
 * };
 * ```
 */
export interface ScheduledTick {
  /** The cron time this run belongs to (the tick), not the moment the run actually started. */
  scheduledAt: Date;
  /** The scheduler's stop signal: aborted when the schedule is asked to stop; the run is still awaited. */
  signal: AbortSignal;
}

/**
 * A tick that did not run because the previous run was still busy.
 *
 * @example
 * ```ts
 * const onSkip = (s: SkippedTick) => console.warn(s.message);
 * ```
 */
export interface SkippedTick {
  /** The schedule's name. */
  name: string;
  /** The cron time of the tick that was skipped. */
  scheduledAt: Date;
  /** When the busy run started. */
  busySince: Date;
  /** A log line saying all of this. */
  message: string;
}

/** Options of {@linkcode runOnSchedule}. */
export interface ScheduleOptions {
  /** Names the schedule in logs and for native cron. */
  name: string;
  /** Time source (default {@linkcode realClock}); tests pass a ManualClock. */
  clock?: Clock;
  /** Stops the schedule: no new runs, the current one is awaited. */
  signal?: AbortSignal;
  /** Called for each skipped tick (default: `log(skip.message)`). */
  onSkip?: (skip: SkippedTick) => void;
  /** Called when a run throws; the schedule goes on (default: `log`). */
  onError?: (error: unknown, scheduledAt: Date) => void;
  /** Where notices go (default `console.warn`). */
  log?: (message: string) => void;
  /**
   * Use the runtime's cron (Deno.cron, Bun.cron) instead of a timer. Native crons read UTC; when the
   * runtime has none (or `timeZone` is "local"), a notice is logged and the timer is used.
   */
  useNative?: boolean;
  /** Which clock the cron fields are read in (default "utc", as native crons). */
  timeZone?: CronTimeZone;
  /** The runtime to ask for native cron (default: the current one); tests pass a fake. */
  runtime?: Pick<RuntimeAdapter, "nativeCron" | "nativeCronMissingHint">;
}

/**
 * What happened while the schedule ran.
 *
 * @example
 * ```ts
 * const s: ScheduleSummary = { mode: "timer", runs: 12, failed: 1, skipped: 2 };
 * ```
 */
export interface ScheduleSummary {
  /** How ticks were produced. */
  mode: "timer" | "native";
  /** Runs started. */
  runs: number;
  /** Runs that threw. */
  failed: number;
  /** Ticks skipped because a run was busy. */
  skipped: number;
}

/**
 * Fires `job` at each tick of the cron expression `expr` until `options.signal` aborts.
 *
 * @returns a summary, once stopped and the last run has finished
 * @throws CronError (as a rejection) when `expr` does not parse
 * @example
 * ```ts
 * import { runOnSchedule } from "./scheduler.ts";
 * const stop = new AbortController();
 * const done = runOnSchedule("0 * * * *", async ({ scheduledAt }) => {
 *   console.log("polling feeds for", scheduledAt.toISOString());
 * }, { name: "rss2imap", signal: stop.signal });
 * stop.abort();
 * await done;
 * ```
 */
export async function runOnSchedule(
  expr: string,
  job: (tick: ScheduledTick) => Promise<void>,
  options: ScheduleOptions,
): Promise<ScheduleSummary> {
  const schedule = parseCron(expr);
  const { name, clock = realClock, timeZone = "utc" } = options;
  const signal = options.signal ?? new AbortController().signal;
  const log = options.log ?? ((message: string) => console.warn(message));
  const summary: ScheduleSummary = { mode: "timer", runs: 0, failed: 0, skipped: 0 };
  if (signal.aborted) return summary;

  let running: { promise: Promise<void>; since: Date } | undefined;
  const fire = (scheduledAt: Date) => {
    if (running) {
      summary.skipped++;
      const message = `schedule ${name}: tick ${scheduledAt.toISOString()} skipped: ` +
        `the run started at ${running.since.toISOString()} is still busy`;
      const skip: SkippedTick = { name, scheduledAt, busySince: running.since, message };
      if (options.onSkip) options.onSkip(skip);
      else log(message);
      return;
    }
    summary.runs++;
    const run = { since: clock.now(), promise: Promise.resolve() };
    run.promise = (async () => {
      try {
        await job({ scheduledAt, signal });
      } catch (error) {
        summary.failed++;
        if (options.onError) options.onError(error, scheduledAt);
        else log(`schedule ${name}: the run for ${scheduledAt.toISOString()} failed: ${describe(error)}`);
      } finally {
        running = undefined;
      }
    })();
    running = run;
  };

  const native = options.useNative
    ? startNative(schedule.fields, fire, options, clock, timeZone, log)
    : undefined;
  if (native) {
    summary.mode = "native";
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    native.stop();
  } else {
    let cursor = clock.now();
    while (!signal.aborted) {
      const at = nextFire(schedule, cursor, { timeZone });
      await clock.sleepUntil(at, signal);
      if (signal.aborted) break;
      fire(at);
      // From the tick, or from now if we woke late (a suspended laptop): missed ticks are not replayed.
      const now = clock.now();
      cursor = now > at ? now : at;
    }
  }
  await running?.promise;
  return summary;
}

/** Registers native cron, or logs why it cannot and returns undefined (the caller uses the timer). */
function startNative(
  fields: string,
  fire: (scheduledAt: Date) => void,
  options: ScheduleOptions,
  clock: Clock,
  timeZone: CronTimeZone,
  log: (message: string) => void,
): { stop(): void } | undefined {
  if (timeZone === "local") {
    log(`schedule ${options.name}: native cron reads UTC; using a timer for local time`);
    return undefined;
  }
  const rt = options.runtime ?? currentRuntime;
  const handle = rt.nativeCron(options.name, fields, () => {
    // Native cron passes no tick time: the minute it fired in is the tick.
    const now = clock.now().getTime();
    fire(new Date(now - (now % 60_000)));
    // Not awaiting the run lets native cron fire again while it is busy, so the skip is reported.
    return Promise.resolve();
  });
  if (!handle) {
    const hint = rt.nativeCronMissingHint() ?? "this runtime has no native cron";
    log(`schedule ${options.name}: native cron unavailable (${hint}); using a timer`);
  }
  return handle;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
