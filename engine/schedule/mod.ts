/**
 * Schedules: cron parsing and next-fire times, the non-overlapping scheduler, clocks, time budgets.
 *
 * @example
 * ```ts
 * import { nextFire } from "./mod.ts";
 * nextFire("@hourly", new Date("2026-01-01T10:15:00Z")).toISOString(); // "2026-01-01T11:00:00.000Z"
 * ```
 * @module
 */
export { CronError, type CronSchedule, type CronTimeZone, matchesCron, nextFire, parseCron } from "./cron.ts";
export { type Clock, ManualClock, realClock } from "./clock.ts";
export {
  runOnSchedule,
  type ScheduledTick,
  type ScheduleOptions,
  type ScheduleSummary,
  type SkippedTick,
} from "./scheduler.ts";
export { TimeBudget } from "./budget.ts";
