/**
 * Cron parsing and next-fire times (tables), and the non-overlapping scheduler driven by a ManualClock:
 * no test waits for a real minute.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import process from "node:process";
import {
  CronError,
  ManualClock,
  matchesCron,
  nextFire,
  parseCron,
  runOnSchedule,
  type ScheduledTick,
  type SkippedTick,
} from "../engine/schedule/mod.ts";
import { runtime } from "../engine/runtime/mod.ts";

const MIN = 60_000;
const range = (a: number, b: number, step = 1) =>
  Array.from({ length: Math.floor((b - a) / step) + 1 }, (_, i) => a + i * step);

/** A promise with its resolver, to hold a job until the test releases it. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("parseCron", () => {
  test("accepts stars, lists, ranges, steps, names and nicknames", () => {
    const table: Array<[string, Partial<Record<string, unknown>>]> = [
      ["* * * * *", {
        minutes: range(0, 59),
        hours: range(0, 23),
        daysOfMonth: range(1, 31),
        daysOfWeek: range(0, 6),
      }],
      ["*/15 * * * *", { minutes: [0, 15, 30, 45] }],
      ["5/20 * * * *", { minutes: [5, 25, 45] }],
      ["0-10/5,30,30 * * * *", { minutes: [0, 5, 10, 30] }],
      ["0 9-17 * * MON-FRI", { hours: range(9, 17), daysOfWeek: [1, 2, 3, 4, 5] }],
      ["0 0 * jan,Jul *", { months: [1, 7] }],
      ["0 0 * * 7", { daysOfWeek: [0] }],
      ["0 0 * * 5-7", { daysOfWeek: [0, 5, 6] }],
      ["0 0 * * sun,SAT", { daysOfWeek: [0, 6] }],
      ["0 0 1 * MON", { dayOfMonthRestricted: true, dayOfWeekRestricted: true }],
      ["0 0 */2 * MON", {
        daysOfMonth: range(1, 31, 2),
        dayOfMonthRestricted: false,
        dayOfWeekRestricted: true,
      }],
      ["  0   6  *  *  *  ", { fields: "0 6 * * *", minutes: [0], hours: [6] }],
      ["@hourly", { fields: "0 * * * *" }],
      ["@daily", { fields: "0 0 * * *" }],
      ["@midnight", { fields: "0 0 * * *" }],
      ["@weekly", { fields: "0 0 * * 0" }],
      ["@monthly", { fields: "0 0 1 * *" }],
      ["@yearly", { fields: "0 0 1 1 *" }],
      [" @Annually ", { fields: "0 0 1 1 *" }],
      ["0 0 29 2 *", { daysOfMonth: [29], months: [2] }],
    ];
    for (const [expr, want] of table) {
      const got = parseCron(expr) as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(want)) assert.deepEqual(got[key], value, `${expr}: ${key}`);
    }
  });

  test("rejects bad expressions with a message that points at the field", () => {
    const table: Array<[string, RegExp]> = [
      ["0 25 * * *", /^cron field 2 \(hour\) `25` is out of range 0-23 in `0 25 \* \* \*`$/],
      ["60 * * * *", /^cron field 1 \(minute\) `60` is out of range 0-59/],
      ["* * 0 * *", /^cron field 3 \(day-of-month\) `0` is out of range 1-31/],
      ["* * * 13 *", /^cron field 4 \(month\) `13` is out of range 1-12/],
      ["* * * * 8", /^cron field 5 \(day-of-week\) `8` is out of range 0-7/],
      ["* * * FOO *", /^cron field 4 \(month\) `FOO` is not a number or a name JAN-DEC/],
      ["* * * * MON-FUN", /^cron field 5 \(day-of-week\) `FUN` is not a number or a name SUN-SAT/],
      ["x * * * *", /^cron field 1 \(minute\) `x` is not a number in/],
      ["*/0 * * * *", /^cron field 1 \(minute\) `\*\/0` has a step that is not a positive whole number/],
      ["*/a * * * *", /step that is not a positive whole number/],
      ["1/2/3 * * * *", /more than one `\/`/],
      ["5-1 * * * *", /^cron field 1 \(minute\) `5-1` is a range whose start is after its end/],
      ["1-2-3 * * * *", /`1-2-3` is not a value or an a-b range/],
      ["1,,2 * * * *", /^cron field 1 \(minute\) `1,,2` has an empty list item/],
      ["* * * *", /^cron expression `\* \* \* \*` has 4 fields; expected 5$/],
      ["0 * * * * *", /has 6 fields; expected 5 \(a seconds field is not supported\)/],
      ["", /has 0 fields/],
      ["@reboot", /`@reboot` is not supported \(sluice schedules runs/],
      ["@often", /cron nickname `@often` is not supported/],
      ["0 0 30 2 *", /`0 0 30 2 \*` never fires: no day 30 in FEB/],
      ["0 0 31 4,6 *", /never fires: no day 31 in APR, JUN/],
    ];
    for (const [expr, message] of table) {
      assert.throws(() => parseCron(expr), (e: unknown) => {
        assert.ok(e instanceof CronError, `${expr}: ${e}`);
        assert.equal(e.code, "E_CRON");
        assert.match(e.message, message, expr);
        assert.ok(e.hint && e.hint.length > 10);
        return true;
      });
    }
  });

  test("a restricted day-of-month and day-of-week alone keeps impossible-date detection off", () => {
    // Feb 30 never exists, but every Monday in February matches: Vixie OR.
    assert.equal(parseCron("0 0 30 2 MON").dayOfWeekRestricted, true);
  });
});

describe("nextFire (UTC)", () => {
  test("matches a table of month ends, leap days, steps, names and day OR/AND rules", () => {
    // 2026-01-01 is a Thursday.
    const table: Array<[string, string, string]> = [
      ["* * * * *", "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z"],
      ["* * * * *", "2026-01-01T00:00:30.500Z", "2026-01-01T00:01:00Z"],
      ["0 * * * *", "2026-01-01T10:15:00Z", "2026-01-01T11:00:00Z"],
      ["*/15 * * * *", "2026-01-01T10:50:00Z", "2026-01-01T11:00:00Z"],
      ["5/20 * * * *", "2026-01-01T10:45:00Z", "2026-01-01T11:05:00Z"],
      ["30 9 * * MON-FRI", "2026-01-02T10:00:00Z", "2026-01-05T09:30:00Z"],
      ["0 0 31 * *", "2026-04-15T00:00:00Z", "2026-05-31T00:00:00Z"],
      ["0 0 31 * *", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z"],
      ["0 0 30 * *", "2026-01-30T12:00:00Z", "2026-03-30T00:00:00Z"],
      ["0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"],
      ["0 0 1 1 *", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z"],
      ["59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"],
      ["@monthly", "2026-12-15T00:00:00Z", "2027-01-01T00:00:00Z"],
      ["0 0 * * 0", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"],
      ["0 0 * * 7", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"],
      // Both day fields restricted: the 1st OR a Monday.
      ["0 0 1 * MON", "2026-01-27T00:00:00Z", "2026-02-01T00:00:00Z"],
      ["0 0 1 * MON", "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"],
      ["0 0 13 * FRI", "2026-02-01T00:00:00Z", "2026-02-06T00:00:00Z"],
      // Day-of-month starts with `*`: both must match (odd day AND Monday).
      ["0 0 */2 * MON", "2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z"],
      ["0 0 */2 * MON", "2026-01-05T00:00:00Z", "2026-01-19T00:00:00Z"],
      // Day-of-week is `*`: only the day of month counts.
      ["0 12 15 * *", "2026-01-15T12:00:00Z", "2026-02-15T12:00:00Z"],
      ["0 0 * FEB SUN", "2026-03-01T00:00:00Z", "2027-02-07T00:00:00Z"],
    ];
    for (const [expr, after, want] of table) {
      assert.equal(
        nextFire(expr, new Date(after)).toISOString(),
        new Date(want).toISOString(),
        `${expr} after ${after}`,
      );
    }
  });

  test("chains through a day: steps inside an hour range, then the next day", () => {
    const s = parseCron("*/20 9-10 * * *");
    const fires: string[] = [];
    let t = new Date("2026-01-01T08:00:00Z");
    for (let i = 0; i < 7; i++) fires.push((t = nextFire(s, t)).toISOString().slice(0, 16));
    assert.deepEqual(fires, [
      "2026-01-01T09:00",
      "2026-01-01T09:20",
      "2026-01-01T09:40",
      "2026-01-01T10:00",
      "2026-01-01T10:20",
      "2026-01-01T10:40",
      "2026-01-02T09:00",
    ]);
    for (const f of fires) assert.ok(matchesCron(s, new Date(`${f}:00Z`)));
    assert.equal(matchesCron(s, new Date("2026-01-01T09:10:00Z")), false);
  });

  test("local time reads the fields in the process's zone", () => {
    const after = new Date("2026-06-10T03:17:00Z");
    const fire = nextFire("0 12 * * *", after, { timeZone: "local" });
    assert.equal(fire.getHours(), 12);
    assert.equal(fire.getMinutes(), 0);
    assert.ok(fire > after && fire.getTime() - after.getTime() <= 25 * 3_600_000);
  });
});

describe("nextFire (local time across DST, Europe/Berlin)", () => {
  /** Runs `fn` with the process time zone set to `tz` (both runtimes re-read TZ when it changes). */
  function inZone(tz: string, fn: () => void) {
    const before = process.env.TZ;
    process.env.TZ = tz;
    try {
      fn();
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  }
  const chain = (expr: string, from: string, n: number) => {
    const out: string[] = [];
    let t = new Date(from);
    for (let i = 0; i < n; i++) {
      out.push((t = nextFire(expr, t, { timeZone: "local" })).toISOString().slice(0, 16));
    }
    return out;
  };

  test("a wall time skipped when clocks go forward is skipped", () => {
    inZone("Europe/Berlin", () => {
      // 2026-03-29 02:30 does not exist in Berlin.
      assert.deepEqual(chain("30 2 * * *", "2026-03-28T12:00:00Z", 2), [
        "2026-03-30T00:30",
        "2026-03-31T00:30",
      ]);
    });
  });

  test("a wall time repeated when clocks go back fires once", () => {
    inZone("Europe/Berlin", () => {
      // 2026-10-25 02:00-02:59 happens twice in Berlin (00:00-00:59Z and 01:00-01:59Z).
      assert.deepEqual(chain("30 2 * * *", "2026-10-24T12:00:00Z", 2), [
        "2026-10-25T00:30",
        "2026-10-26T01:30",
      ]);
      assert.deepEqual(chain("*/30 * * * *", "2026-10-25T00:00:00Z", 3), [
        "2026-10-25T00:30",
        "2026-10-25T02:00",
        "2026-10-25T02:30",
      ]);
    });
  });
});

describe("runOnSchedule with a ManualClock", () => {
  test("fires at each tick with its scheduled time, and not before", async () => {
    const clock = new ManualClock("2026-01-01T00:00:30Z");
    const stop = new AbortController();
    const ticks: string[] = [];
    const done = runOnSchedule("*/5 * * * *", ({ scheduledAt }) => {
      ticks.push(`${scheduledAt.toISOString().slice(11, 16)}@${clock.now().toISOString().slice(11, 16)}`);
      return Promise.resolve();
    }, { name: "every-5", clock, signal: stop.signal });
    await clock.whenSleeping();
    await clock.advance(4 * MIN);
    assert.deepEqual(ticks, []);
    await clock.advance(11 * MIN);
    assert.deepEqual(ticks, ["00:05@00:05", "00:10@00:10", "00:15@00:15"]);
    stop.abort();
    assert.deepEqual(await done, { mode: "timer", runs: 3, failed: 0, skipped: 0 });
    assert.equal(clock.sleepers, 0);
  });

  test("a tick that comes while a run is busy is skipped and reported", async () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    const stop = new AbortController();
    const gate = deferred();
    const started: string[] = [];
    const skips: SkippedTick[] = [];
    const done = runOnSchedule("* * * * *", async ({ scheduledAt }) => {
      started.push(scheduledAt.toISOString().slice(11, 16));
      if (started.length === 1) await gate.promise;
    }, { name: "busy", clock, signal: stop.signal, onSkip: (s) => skips.push(s) });
    await clock.advance(3 * MIN);
    assert.deepEqual(started, ["00:01"]);
    assert.deepEqual(skips.map((s) => s.scheduledAt.toISOString().slice(11, 16)), ["00:02", "00:03"]);
    assert.equal(skips[0].name, "busy");
    assert.equal(skips[0].busySince.toISOString(), "2026-01-01T00:01:00.000Z");
    assert.match(
      skips[0].message,
      /schedule busy: tick 2026-01-01T00:02:00.000Z skipped: the run started at .*00:01.* is still busy/,
    );
    gate.resolve();
    await clock.advance(MIN);
    assert.deepEqual(started, ["00:01", "00:04"]);
    stop.abort();
    assert.deepEqual(await done, { mode: "timer", runs: 2, failed: 0, skipped: 2 });
  });

  test("skips go to the log when there is no onSkip", async () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    const stop = new AbortController();
    const gate = deferred();
    const lines: string[] = [];
    const done = runOnSchedule("* * * * *", () => gate.promise, {
      name: "logged",
      clock,
      signal: stop.signal,
      log: (line) => lines.push(line),
    });
    await clock.advance(2 * MIN);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /schedule logged: tick .*00:02:00.* skipped/);
    gate.resolve();
    stop.abort();
    await done;
  });

  test("stopping lets the running job finish, then resolves", async () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    const stop = new AbortController();
    const gate = deferred();
    let sawStop: boolean | undefined;
    let resolved = false;
    const done = runOnSchedule("* * * * *", async ({ signal }: ScheduledTick) => {
      await gate.promise;
      sawStop = signal.aborted;
    }, { name: "stoppable", clock, signal: stop.signal }).then((summary) => {
      resolved = true;
      return summary;
    });
    await clock.advance(MIN);
    stop.abort();
    await clock.advance(0);
    assert.equal(resolved, false, "must wait for the running job");
    assert.equal(clock.sleepers, 0, "no new tick is scheduled after stop");
    gate.resolve();
    assert.deepEqual(await done, { mode: "timer", runs: 1, failed: 0, skipped: 0 });
    assert.equal(sawStop, true, "the job sees the stop signal");
  });

  test("aborted before start: resolves at once and never runs the job", async () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    let runs = 0;
    const summary = await runOnSchedule("* * * * *", () => {
      runs++;
      return Promise.resolve();
    }, { name: "never", clock, signal: AbortSignal.abort() });
    assert.deepEqual(summary, { mode: "timer", runs: 0, failed: 0, skipped: 0 });
    assert.equal(runs, 0);
    assert.equal(clock.sleepers, 0);
  });

  test("a failing run is reported and the schedule goes on", async () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    const stop = new AbortController();
    const errors: string[] = [];
    let n = 0;
    const done = runOnSchedule("* * * * *", () => {
      n++;
      return n === 1 ? Promise.reject(new Error("feed server down")) : Promise.resolve();
    }, {
      name: "flaky",
      clock,
      signal: stop.signal,
      onError: (e, at) => errors.push(`${at.toISOString().slice(11, 16)} ${(e as Error).message}`),
    });
    await clock.advance(2 * MIN);
    stop.abort();
    assert.deepEqual(await done, { mode: "timer", runs: 2, failed: 1, skipped: 0 });
    assert.deepEqual(errors, ["00:01 feed server down"]);
  });

  test("a bad expression rejects with a CronError", async () => {
    await assert.rejects(
      runOnSchedule("0 24 * * *", () => Promise.resolve(), { name: "bad", signal: AbortSignal.abort() }),
      (e: CronError) => e instanceof CronError && /field 2 \(hour\) `24`/.test(e.message),
    );
  });
});

describe("runOnSchedule with native cron", () => {
  /** A runtime whose native cron the test fires by hand. */
  function fakeRuntime(available: boolean) {
    const calls: Array<{ name: string; schedule: string }> = [];
    let fire: (() => Promise<void>) | undefined;
    let stopped = false;
    return {
      calls,
      fire: () => fire!(),
      get stopped() {
        return stopped;
      },
      runtime: {
        nativeCron(name: string, schedule: string, fn: () => Promise<void>) {
          if (!available) return undefined;
          calls.push({ name, schedule });
          fire = fn;
          return { stop: () => (stopped = true) };
        },
        nativeCronMissingHint:
          () => (available ? undefined : "run deno with --unstable-cron to use Deno.cron"),
      },
    };
  }

  test("native ticks run the job, busy ticks are skipped, stop unregisters and waits", async () => {
    const fake = fakeRuntime(true);
    const clock = new ManualClock("2026-01-01T06:00:20Z");
    const stop = new AbortController();
    const gate = deferred();
    const ticks: string[] = [];
    const skips: SkippedTick[] = [];
    const done = runOnSchedule("@hourly", async ({ scheduledAt }) => {
      ticks.push(scheduledAt.toISOString());
      await gate.promise;
    }, {
      name: "native",
      clock,
      signal: stop.signal,
      useNative: true,
      runtime: fake.runtime,
      onSkip: (s) => skips.push(s),
    });
    await clock.advance(0);
    assert.deepEqual(fake.calls, [{ name: "native", schedule: "0 * * * *" }]);
    await fake.fire();
    await fake.fire();
    assert.deepEqual(ticks, ["2026-01-01T06:00:00.000Z"]);
    assert.equal(skips.length, 1);
    stop.abort();
    await clock.advance(0);
    assert.equal(fake.stopped, true);
    gate.resolve();
    assert.deepEqual(await done, { mode: "native", runs: 1, failed: 0, skipped: 1 });
  });

  test("without native cron it logs the hint and falls back to the timer", async () => {
    const fake = fakeRuntime(false);
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    const stop = new AbortController();
    const lines: string[] = [];
    let runs = 0;
    const done = runOnSchedule("* * * * *", () => {
      runs++;
      return Promise.resolve();
    }, {
      name: "fallback",
      clock,
      signal: stop.signal,
      useNative: true,
      runtime: fake.runtime,
      log: (l) => lines.push(l),
    });
    await clock.advance(2 * MIN);
    assert.equal(runs, 2);
    assert.match(
      lines[0],
      /schedule fallback: native cron unavailable \(run deno with --unstable-cron.*\); using a timer/,
    );
    stop.abort();
    assert.equal((await done).mode, "timer");
  });

  test(`the real runtime's native cron (${runtime.name}) registers and stops cleanly`, async () => {
    const stop = new AbortController();
    const lines: string[] = [];
    const done = runOnSchedule("0 0 1 1 *", () => Promise.resolve(), {
      name: "sluice test: yearly",
      signal: stop.signal,
      useNative: true,
      log: (l) => lines.push(l),
    });
    stop.abort();
    const summary = await done;
    const hint = runtime.nativeCronMissingHint();
    assert.equal(
      summary.mode,
      hint === undefined && runtime.name !== "node" ? "native" : "timer",
      lines.join("\n"),
    );
    assert.equal(summary.runs, 0);
  });
});
