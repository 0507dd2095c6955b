/**
 * `--every "CRON"` / `schedule:`: scheduleRuns driven by a ManualClock (runs at ticks, a busy tick
 * skipped and logged, a stop waits for the current run, exit codes), runCommand on a schedule with an
 * injected clock, and the real CLI stopping on SIGTERM while it waits for a tick.
 */
import { after, before, describe, test } from "./support/testing.ts";
import { CLI_CHILD_TIMEOUT_MS } from "./support/cli_child.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { scheduleRuns } from "../cli/schedule_runs.ts";
import { runCommand } from "../cli/run_command.ts";
import { EXIT } from "../cli/exit_codes.ts";
import { ManualClock } from "../engine/schedule/mod.ts";
import type { CronHandle } from "../engine/runtime/mod.ts";

const MIN = 60_000;
const START = "2026-03-01T10:00:00Z";
const repo = fileURLToPath(new URL("..", import.meta.url));
const stagesModule = path.join(repo, "tests", "fixtures", "cli", "stages.ts");

/** A promise with its resolver, to hold a run until the test releases it. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A log that keeps its lines. */
function memoryLog() {
  const lines: string[] = [];
  return { lines, log: (level: "info" | "warn", message: string) => void lines.push(`${level}: ${message}`) };
}

describe("scheduleRuns", () => {
  test("runs at each tick of the expression, with the tick's time, never before", async () => {
    const clock = new ManualClock(START);
    const stop = new AbortController();
    const ticks: string[] = [];
    const { log } = memoryLog();
    const done = scheduleRuns("*/5 * * * *", (_signal, tick) => {
      ticks.push(tick.toISOString());
      return Promise.resolve(EXIT.OK);
    }, { clock, signal: stop.signal, log });
    await clock.advance(4 * MIN);
    assert.deepEqual(ticks, []);
    await clock.advance(11 * MIN);
    assert.deepEqual(ticks, [
      "2026-03-01T10:05:00.000Z",
      "2026-03-01T10:10:00.000Z",
      "2026-03-01T10:15:00.000Z",
    ]);
    stop.abort();
    assert.equal(await done, EXIT.OK);
  });

  test("a tick while a run is busy is skipped and logged; the next free tick runs", async () => {
    const clock = new ManualClock(START);
    const stop = new AbortController();
    const { lines, log } = memoryLog();
    const gate = deferred<number>();
    const ticks: string[] = [];
    const done = scheduleRuns("* * * * *", (_signal, tick) => {
      ticks.push(tick.toISOString());
      return ticks.length === 1 ? gate.promise : Promise.resolve(EXIT.OK);
    }, { clock, signal: stop.signal, log, name: "feeds" });
    await clock.advance(3 * MIN); // 10:01 runs and stays busy; 10:02 and 10:03 come while it is busy
    assert.deepEqual(ticks, ["2026-03-01T10:01:00.000Z"]);
    const skips = lines.filter((l) => l.includes("skipped"));
    assert.equal(skips.length, 2, lines.join("\n"));
    assert.match(
      skips[0],
      /^warn: schedule feeds: tick 2026-03-01T10:02:00\.000Z skipped: .*10:01:00.* still busy/,
    );
    gate.resolve(EXIT.OK);
    await clock.advance(MIN);
    assert.deepEqual(ticks, ["2026-03-01T10:01:00.000Z", "2026-03-01T10:04:00.000Z"]);
    stop.abort();
    assert.equal(await done, EXIT.OK);
  });

  test("a stop while a run is busy waits for that run, then starts no other", async () => {
    const clock = new ManualClock(START);
    const stop = new AbortController();
    const gate = deferred<number>();
    let runs = 0;
    let settled = false;
    const done = scheduleRuns("* * * * *", () => {
      runs++;
      return gate.promise;
    }, { clock, signal: stop.signal, log: memoryLog().log }).finally(() => (settled = true));
    await clock.advance(MIN);
    assert.equal(runs, 1);
    stop.abort();
    await clock.advance(0);
    assert.equal(settled, false, "the schedule ended before its run did");
    gate.resolve(EXIT.ITEMS_FAILED);
    assert.equal(await done, EXIT.ITEMS_FAILED);
    await clock.advance(10 * MIN);
    assert.equal(runs, 1);
    assert.equal(clock.sleepers, 0, "a timer was left behind");
  });

  test("the exit code is the worst run's; SIGTERM-drained runs count as ok; a throw is a run failure", async () => {
    const clock = new ManualClock(START);
    const stop = new AbortController();
    const { lines, log } = memoryLog();
    const codes: Array<number | Error> = [EXIT.INTERRUPTED, new Error("mailbox unreachable"), EXIT.OK];
    const done = scheduleRuns("* * * * *", () => {
      const next = codes.shift()!;
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    }, { clock, signal: stop.signal, log });
    await clock.advance(3 * MIN);
    stop.abort();
    assert.equal(await done, EXIT.RUN_FAILED);
    assert.ok(
      lines.some((l) => /run for 2026-03-01T10:02:00.000Z failed: mailbox unreachable/.test(l)),
      lines.join("\n"),
    );
    assert.equal(lines.filter((l) => l.startsWith("info: sluice: run for")).length, 3);
  });

  test("with useNative the runtime's cron fires the runs; without one, the hint is logged and the timer used", async () => {
    const clock = new ManualClock(START);
    let fire: (() => Promise<void>) | undefined;
    let stopped = false;
    const native = {
      nativeCron: (_name: string, _schedule: string, fn: () => Promise<void>): CronHandle => {
        fire = fn;
        return { stop: () => void (stopped = true) };
      },
      nativeCronMissingHint: () => undefined,
    };
    const stop = new AbortController();
    let runs = 0;
    const done = scheduleRuns("*/5 * * * *", () => Promise.resolve(++runs && EXIT.OK), {
      clock,
      signal: stop.signal,
      useNative: true,
      runtime: native,
      log: memoryLog().log,
    });
    assert.ok(fire, "native cron was not asked");
    await fire();
    await clock.advance(0);
    assert.equal(runs, 1);
    stop.abort();
    await done;
    assert.equal(stopped, true, "the native job was not unregistered");

    const missing = {
      nativeCron: () => undefined,
      nativeCronMissingHint: () => "run deno with --unstable-cron to use Deno.cron",
    };
    const { lines, log } = memoryLog();
    const stop2 = new AbortController();
    let timerRuns = 0;
    const done2 = scheduleRuns("*/5 * * * *", () => Promise.resolve(++timerRuns && EXIT.OK), {
      clock,
      signal: stop2.signal,
      useNative: true,
      runtime: missing,
      log,
    });
    await clock.advance(5 * MIN);
    assert.equal(timerRuns, 1);
    assert.ok(
      lines.some((l) => l.includes("--unstable-cron") && l.includes("using a timer")),
      lines.join("\n"),
    );
    stop2.abort();
    await done2;
  });
});

describe("runCommand on a schedule", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-schedule-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("the YAML's schedule: runs the pipeline at the tick, writes its summary, and a stop waits for it", async () => {
    const out = path.join(dir, "out.txt");
    const summaryFile = path.join(dir, "summary.json");
    const file = path.join(dir, "scheduled.yaml");
    await writeFile(
      file,
      `name: scheduled
schedule: "*/10 * * * *"
stages:
  - use: ${stagesModule}#numbers
    with: { count: 4 }
  - use: ${stagesModule}#double
  - use: ${stagesModule}#lines
    with: { file: ${out} }
`,
    );
    const clock = new ManualClock(START);
    const stop = new AbortController();
    const code = runCommand({ file, quiet: true, summaryJson: summaryFile, clock, signal: stop.signal });
    await clock.whenSleeping(1);
    await assert.rejects(readFile(out, "utf8"), "ran before its tick");
    await clock.advance(10 * MIN);
    stop.abort(); // the 10:10 run has started: the schedule must let it finish
    assert.equal(await code, EXIT.OK);
    assert.deepEqual((await readFile(out, "utf8")).trim().split("\n").map(Number).sort((a, b) => a - b), [
      0,
      2,
      4,
      6,
    ]);
    const summary = JSON.parse(await readFile(summaryFile, "utf8"));
    assert.equal(summary.ok, true);
    assert.equal(clock.sleepers, 0);
  });
});

describe("cli.ts --every", () => {
  test("SIGTERM while waiting for a tick ends the process with exit 0 and says why", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-every-"));
    try {
      const file = path.join(dir, "every.yaml");
      await writeFile(
        file,
        `name: waiting
stages:
  - use: ${stagesModule}#numbers
  - use: ${stagesModule}#lines
    with: { file: ${path.join(dir, "out.txt")} }
`,
      );
      const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
      const pre = isDeno ? ["run", "-A", path.join(repo, "cli.ts")] : [path.join(repo, "cli.ts")];
      // Once a year: the process waits for a tick that never comes during the test.
      const child = spawn(process.execPath, [...pre, file, "--every", "0 0 1 1 *"], {
        cwd: repo,
        env: { ...process.env, NO_COLOR: "1" },
        stdio: ["ignore", "ignore", "pipe"],
        timeout: CLI_CHILD_TIMEOUT_MS,
        killSignal: "SIGKILL",
      });
      let stderr = "";
      const exited = new Promise<number | null>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code) => resolve(code));
      });
      let sent = false;
      child.stderr.on("data", (d) => {
        stderr += d;
        if (!sent && stderr.includes("running on schedule")) {
          sent = true;
          // process.kill, not child.kill: after child.kill Deno reports the signal instead of the exit code.
          process.kill(child.pid!, "SIGTERM");
        }
      });
      const exitCode = await exited;
      assert.equal(exitCode, 0, stderr);
      assert.match(stderr, /running on schedule "0 0 1 1 \*" \(UTC\)/);
      assert.match(stderr, /SIGTERM: no new runs/);
      assert.match(stderr, /schedule stopped after 0 runs \(0 skipped ticks, timer\)/);
      await assert.rejects(readFile(path.join(dir, "out.txt")), "a run happened");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
