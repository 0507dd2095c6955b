/**
 * 5-field cron expressions (Vixie cron syntax) and the next time one fires.
 *
 * Fields: minute (0-59), hour (0-23), day-of-month (1-31), month (1-12 or JAN-DEC), day-of-week
 * (0-7, 0 and 7 are Sunday, or SUN-SAT). Each field is `*` or a comma list of `n`, `a-b`, `*`/`a-b`/`a`
 * with `/step` (`a/step` means `a-max/step`). Nicknames: `@hourly`, `@daily` (`@midnight`), `@weekly`,
 * `@monthly`, `@yearly` (`@annually`).
 *
 * Like Vixie cron, when both day-of-month and day-of-week are restricted (neither starts with `*`),
 * a day matches if EITHER matches (`0 0 1 * MON` fires on the 1st and on every Monday).
 *
 * Times are UTC by default, as `Deno.cron` and `Bun.cron` use; pass `{ timeZone: "local" }` for the
 * process's local time (a time skipped by a DST change is skipped, a repeated one fires once).
 *
 * Why not croner (11.0.1), measured by `bench/cron_vs_croner.ts`: croner refuses Vixie's `5/20`, reads
 * an every-other-day step with a weekday as "odd days OR Mondays" (Vixie: AND, the day field starts with
 * a star), fires a wall time skipped by DST at the next hour and a repeated one twice, accepts what
 * native cron on Deno Deploy does not (`L`, `5#2`, a seconds field) or what never fires (`0 0 30 2 *`), with messages
 * that do not name the field (`* * 0 * *`: "Invalid value for day: -1"). It is also slower: 0.37-0.42 ms
 * per next fire against 0.012-0.016 ms here (Deno, Bun). Wrapping it would keep a validator as large as
 * this parser, so sluice keeps its own.
 * @module
 */
import { SluiceError } from "../errors.ts";

/**
 * A cron expression that does not parse, or never fires. The message quotes the expression and
 * points at the bad field.
 *
 * @example
 * ```ts
 * import { CronError, parseCron } from "./cron.ts";
 * try {
 *   parseCron("0 25 * * *");
 * } catch (e) {
 *   if (e instanceof CronError) console.log(e.message); // cron field 2 (hour) `25` is out of range 0-23 ...
 * }
 * ```
 */
export class CronError extends SluiceError {
  /**
   * Creates the error with code `E_CRON`; the hint defaults to a reminder of the 5-field format.
   *
   * @param message what is wrong, quoting the expression
   * @param hint what to write instead
   */
  constructor(message: string, hint: string = FORMAT_HINT) {
    super("E_CRON", message, hint);
  }
}

/**
 * A parsed schedule: the allowed values of each field.
 *
 * @example
 * ```ts
 * import { parseCron } from "./cron.ts";
 * parseCron("0,30 9-17 * * MON-FRI").hours; // [9, 10, ..., 17]
 * ```
 */
export interface CronSchedule {
  /** The expression as written. */
  readonly source: string;
  /** The five fields, nicknames expanded, single spaces: what native cron gets. */
  readonly fields: string;
  /** Allowed minutes, 0-59, ascending. */
  readonly minutes: readonly number[];
  /** Allowed hours, 0-23, ascending. */
  readonly hours: readonly number[];
  /** Allowed days of the month, 1-31, ascending. */
  readonly daysOfMonth: readonly number[];
  /** 1-12. */
  readonly months: readonly number[];
  /** 0-6, Sunday is 0. */
  readonly daysOfWeek: readonly number[];
  /**
   * Whether the day-of-month field was restricted (did not start with `*`). When both day fields are
   * restricted, a day matches if either does (Vixie cron's OR rule).
   */
  readonly dayOfMonthRestricted: boolean;
  /** Whether the day-of-week field was restricted (did not start with `*`); see `dayOfMonthRestricted`. */
  readonly dayOfWeekRestricted: boolean;
}

/** Which clock the fields are read in. */
export type CronTimeZone = "utc" | "local";

const FORMAT_HINT =
  "write 5 fields `minute hour day-of-month month day-of-week` (e.g. `*/15 * * * *`, `0 6 * * MON-FRI`) " +
  "or @hourly, @daily, @weekly, @monthly, @yearly";

const NICKNAMES: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The first name's value. */
  namesFrom?: number;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: "day-of-week", min: 0, max: 7, names: DAYS, namesFrom: 0 },
];
/** Most days each month can have (February: 29, leap years). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses a 5-field cron expression or nickname.
 *
 * @throws CronError naming the field, the bad text and the allowed range
 * @example
 * ```ts
 * import { parseCron } from "./cron.ts";
 * parseCron("@daily").fields; // "0 0 * * *"
 * parseCron("0 0 1 * MON").dayOfWeekRestricted; // true
 * ```
 */
export function parseCron(expr: string): CronSchedule {
  const source = expr;
  const trimmed = expr.trim();
  let text = trimmed;
  if (trimmed.startsWith("@")) {
    text = NICKNAMES[trimmed.toLowerCase()];
    if (!text) {
      const why = trimmed.toLowerCase() === "@reboot"
        ? " (sluice schedules runs; it does not start at boot)"
        : "";
      throw new CronError(`cron nickname \`${trimmed}\` is not supported${why}`);
    }
  }
  const parts = text.split(/\s+/).filter((p) => p !== "");
  if (parts.length !== 5) {
    const seconds = parts.length === 6 ? " (a seconds field is not supported)" : "";
    throw new CronError(`cron expression \`${trimmed}\` has ${parts.length} fields; expected 5${seconds}`);
  }
  const values = parts.map((part, i) => parseField(part, i, trimmed));
  const schedule: CronSchedule = {
    source,
    fields: parts.join(" "),
    minutes: values[0],
    hours: values[1],
    daysOfMonth: values[2],
    months: values[3],
    // 7 is another name for Sunday.
    daysOfWeek: [...new Set(values[4].map((d) => d % 7))].sort((a, b) => a - b),
    dayOfMonthRestricted: !parts[2].startsWith("*"),
    dayOfWeekRestricted: !parts[4].startsWith("*"),
  };
  assertCanFire(schedule, trimmed);
  return schedule;
}

function fieldError(index: number, text: string, problem: string, expr: string): CronError {
  return new CronError(
    `cron field ${index + 1} (${FIELDS[index].name}) \`${text}\` ${problem} in \`${expr}\``,
  );
}

/** The sorted values one field allows. */
function parseField(text: string, index: number, expr: string): number[] {
  const spec = FIELDS[index];
  const out = new Set<number>();
  for (const item of text.split(",")) {
    if (item === "") throw fieldError(index, text, "has an empty list item", expr);
    const [range, step, extra] = item.split("/");
    if (extra !== undefined) throw fieldError(index, item, "has more than one `/`", expr);
    let stride = 1;
    if (step !== undefined) {
      if (!/^\d+$/.test(step) || Number(step) === 0) {
        throw fieldError(index, item, "has a step that is not a positive whole number", expr);
      }
      stride = Number(step);
    }
    let lo: number, hi: number;
    if (range === "*") {
      [lo, hi] = [spec.min, spec.max];
    } else {
      const bounds = range.split("-");
      if (bounds.length > 2) throw fieldError(index, item, "is not a value or an a-b range", expr);
      lo = parseValue(bounds[0], index, expr);
      // `a/step` runs from a to the field's end, as in most crons.
      hi = bounds.length === 2 ? parseValue(bounds[1], index, expr) : step !== undefined ? spec.max : lo;
      if (lo > hi) throw fieldError(index, item, `is a range whose start is after its end`, expr);
    }
    for (let v = lo; v <= hi; v += stride) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

function parseValue(text: string, index: number, expr: string): number {
  const spec = FIELDS[index];
  let value: number;
  if (/^\d+$/.test(text)) {
    value = Number(text);
  } else {
    const at = spec.names?.indexOf(text.toUpperCase()) ?? -1;
    if (at < 0) {
      const names = spec.names ? ` or a name ${spec.names[0]}-${spec.names.at(-1)}` : "";
      throw fieldError(index, text, `is not a number${names}`, expr);
    }
    value = at + spec.namesFrom!;
  }
  if (value < spec.min || value > spec.max) {
    throw fieldError(index, text, `is out of range ${spec.min}-${spec.max}`, expr);
  }
  return value;
}

/** Rejects day/month combinations that never exist (`0 0 30 2 *`), which would make nextFire search forever. */
function assertCanFire(s: CronSchedule, expr: string): void {
  if (s.dayOfWeekRestricted && s.dayOfMonthRestricted) return; // any matching weekday will do
  const firstDay = s.daysOfMonth[0];
  if (s.months.some((m) => firstDay <= MONTH_DAYS[m - 1])) return;
  const months = s.months.map((m) => MONTHS[m - 1]).join(", ");
  throw new CronError(
    `cron expression \`${expr}\` never fires: no day ${s.daysOfMonth.join(",")} in ${months}`,
    "pick a day that exists in the month (use 28 for 'end of February')",
  );
}

/** Field access in one time zone. */
interface Zone {
  parts(
    t: number,
  ): { year: number; month: number; day: number; hour: number; minute: number; weekday: number };
  /** The instant of a wall time; `month` is 1-12 and may overflow. */
  at(year: number, month: number, day: number, hour: number, minute: number): number;
  /** Whether the wall time at `t` already happened earlier (the second pass after clocks go back). */
  repeated(t: number): boolean;
}

const UTC: Zone = {
  parts(t) {
    const d = new Date(t);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      weekday: d.getUTCDay(),
    };
  },
  at: (year, month, day, hour, minute) => Date.UTC(year, month - 1, day, hour, minute),
  repeated: () => false,
};

const LOCAL: Zone = {
  parts(t) {
    const d = new Date(t);
    return {
      year: d.getFullYear(),
      month: d.getMonth() + 1,
      day: d.getDate(),
      hour: d.getHours(),
      minute: d.getMinutes(),
      weekday: d.getDay(),
    };
  },
  at: (year, month, day, hour, minute) => new Date(year, month - 1, day, hour, minute).getTime(),
  repeated(t) {
    const wall = (x: number) => {
      const p = LOCAL.parts(x);
      return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
    };
    // Clocks go back by 30 or 60 minutes (Lord Howe Island: 30).
    return wall(t - 3_600_000) === wall(t) || wall(t - 1_800_000) === wall(t);
  },
};

/** Searching further than this means the schedule cannot fire (Feb 29 recurs within 8 years). */
const SEARCH_LIMIT_MS = 8 * 366 * 24 * 3_600_000;

/**
 * Whether `date` (to the minute) matches the schedule.
 *
 * @example
 * ```ts
 * import { matchesCron, parseCron } from "./cron.ts";
 * matchesCron(parseCron("0 12 * * *"), new Date("2026-03-01T12:00:30Z")); // true
 * ```
 */
export function matchesCron(schedule: CronSchedule, date: Date, timeZone: CronTimeZone = "utc"): boolean {
  const p = (timeZone === "local" ? LOCAL : UTC).parts(date.getTime());
  return schedule.months.includes(p.month) && dayMatches(schedule, p.day, p.weekday) &&
    schedule.hours.includes(p.hour) && schedule.minutes.includes(p.minute);
}

function dayMatches(s: CronSchedule, day: number, weekday: number): boolean {
  const dom = s.daysOfMonth.includes(day);
  const dow = s.daysOfWeek.includes(weekday);
  return s.dayOfMonthRestricted && s.dayOfWeekRestricted ? dom || dow : dom && dow;
}

/**
 * The first minute strictly after `after` that the schedule fires at.
 *
 * @param expr an expression or a parsed schedule
 * @param after the search starts at the next whole minute after this instant
 * @param options `timeZone`: `"utc"` (default, as Deno.cron) or `"local"`
 * @throws CronError for a bad expression, or one that never fires
 * @example
 * ```ts
 * import { nextFire } from "./cron.ts";
 * nextFire("0 0 31 * *", new Date("2026-04-15T00:00:00Z")).toISOString(); // "2026-05-31T00:00:00.000Z"
 * ```
 */
export function nextFire(
  expr: string | CronSchedule,
  after: Date,
  options: { timeZone?: CronTimeZone } = {},
): Date {
  const s = typeof expr === "string" ? parseCron(expr) : expr;
  const zone = options.timeZone === "local" ? LOCAL : UTC;
  const start = after.getTime();
  let t = start - (((start % 60_000) + 60_000) % 60_000) + 60_000;
  while (t - start <= SEARCH_LIMIT_MS) {
    const p = zone.parts(t);
    let next: number;
    if (!s.months.includes(p.month)) {
      next = zone.at(p.year, p.month + 1, 1, 0, 0);
    } else if (!dayMatches(s, p.day, p.weekday)) {
      next = zone.at(p.year, p.month, p.day + 1, 0, 0);
    } else if (!s.hours.includes(p.hour)) {
      // Whole hours from here, not wall-clock arithmetic, so a DST change cannot send us back.
      next = t + (60 - p.minute) * 60_000;
    } else {
      const minute = s.minutes.find((m) => m >= p.minute);
      if (minute === p.minute && !zone.repeated(t)) return new Date(t);
      next = t + (minute === p.minute ? 1 : (minute ?? 60) - p.minute) * 60_000;
    }
    t = next > t ? next : t + 60_000;
  }
  throw new CronError(
    `cron expression \`${s.source.trim()}\` does not fire within 8 years of ${after.toISOString()}`,
  );
}
