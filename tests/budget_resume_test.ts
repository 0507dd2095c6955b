/**
 * A time budget per run (what a serverless tick or `--budget` uses): when it runs out the feed source
 * stops, in-flight feeds finish, and the next run delivers the rest, nothing twice. The budget runs
 * on a ManualClock that the test moves once the feed farm has answered a given number of feed
 * requests, so "midway" is exact and nothing sleeps.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runTick } from "../deploy.ts";
import { runCommand } from "../cli/run_command.ts";
import { EXIT } from "../cli/exit_codes.ts";
import { WorkerPool } from "../engine/kernel/mod.ts";
import { silentLogger } from "../engine/pipeline/mod.ts";
import { ManualClock } from "../engine/schedule/mod.ts";
import { openStore } from "../engine/state/mod.ts";
import { type FeedFarm, startFeedFarm } from "./support/feed_farm.ts";
import { readMaildir } from "./support/maildir_reader.ts";
import { headerValue, parseMime } from "./support/mime_reader.ts";

const FEEDS = 8;
const ENTRIES = 3;
const BUDGET_MS = 60_000;

/**
 * rss2imap's stages, with fetch one feed at a time through an unbuffered channel, so that the
 * budget stopping the source after the second request leaves most feeds for the next run.
 */
const PIPELINE = `name: rss2imap-budget
stages:
  - use: feeds
    with: { list: "\${FEEDS}", state: "\${STATE_DIR}" }
  - use: fetch
    concurrency: 1
    capacity: 0
    with: { state: "\${STATE_DIR}" }
  - use: parse
    with: { state: "\${STATE_DIR}" }
  - use: dedupe
    with: { state: "\${STATE_DIR}" }
  - use: rewrite-images
  - use: mime
  - use: mailbox
    with: { maildir: "\${MAILDIR}", state: "\${STATE_DIR}", fsync: false }
`;

describe("a run stopped by its time budget", () => {
  let farm: FeedFarm;
  let dir = "";
  let env: Record<string, string> = {};
  // One pool for every run: the workers start once.
  let pool: WorkerPool;

  before(async () => {
    pool = new WorkerPool({ size: 2 });
    dir = await mkdtemp(path.join(tmpdir(), "sluice-budget-"));
    farm = await startFeedFarm({ feeds: FEEDS, entries: ENTRIES, images: 1, latencyMs: 5 });
    await writeFile(path.join(dir, "feeds.txt"), farm.feedListText);
    await writeFile(path.join(dir, "pipeline.yaml"), PIPELINE);
    env = {
      SLUICE_PIPELINE: path.join(dir, "pipeline.yaml"),
      FEEDS: path.join(dir, "feeds.txt"),
      MAILDIR: path.join(dir, "Maildir"),
      STATE_DIR: path.join(dir, "state"),
    };
  });
  after(async () => {
    await farm?.close();
    await pool?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const entryIds = async () =>
    (await readMaildir(env.MAILDIR)).map((m) => headerValue(parseMime(m.raw), "X-Sluice-Entry-Id"));

  test("stops midway, then the next run delivers the rest, nothing twice, and a third run nothing", async () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    // The deadline comes once the farm has answered two feed requests.
    const spent = farm.until((c) => c.feedRequests >= 2).then(() => clock.advance(BUDGET_MS));
    // A generous grace: this test is about draining what is in flight, not about how fast a loaded
    // machine drains it within the default 10 s.
    const first = await runTick({
      env,
      budgetMs: BUDGET_MS,
      graceMs: 120_000,
      clock,
      logger: silentLogger,
      pool,
    });
    await spent;
    assert.equal(first.stopped, true, "the budget did not stop the run");
    assert.equal(first.stoppedBy, "stopSignal");
    assert.equal(first.aborted, false, `in-flight items were abandoned instead of drained: ${first.error}`);
    assert.deepEqual(first.failures, []);
    const afterFirst = await entryIds();
    assert.ok(afterFirst.length > 0, "nothing was delivered before the deadline");
    assert.ok(
      afterFirst.length < FEEDS * ENTRIES,
      `the first run delivered everything (${afterFirst.length})`,
    );
    assert.equal(afterFirst.length % ENTRIES, 0, "a feed fetched before the deadline was not finished");
    const finished = afterFirst.length / ENTRIES;

    farm.resetCounters();
    const second = await runTick({
      env,
      budgetMs: BUDGET_MS,
      clock: new ManualClock(0),
      logger: silentLogger,
      pool,
    });
    assert.equal(second.ok, true, JSON.stringify(second.failures));
    assert.equal(second.stopped, false);
    const all = await entryIds();
    assert.equal(all.length, FEEDS * ENTRIES);
    assert.equal(new Set(all).size, all.length, "an entry was delivered twice");
    // Feeds finished by the first run had their validators committed: they answer 304 now.
    assert.equal(farm.counters.notModified, finished);
    assert.equal(farm.counters.feedOk, FEEDS - finished);

    farm.resetCounters();
    const third = await runTick({
      env,
      budgetMs: BUDGET_MS,
      clock: new ManualClock(0),
      logger: silentLogger,
      pool,
    });
    assert.equal(third.ok, true);
    assert.equal(farm.counters.notModified, FEEDS);
    assert.equal((await entryIds()).length, FEEDS * ENTRIES);
    const store = await openStore(env.STATE_DIR);
    try {
      assert.equal(await store.deliveredCount(), FEEDS * ENTRIES);
    } finally {
      await store.close();
    }
  });

  test("a budget already spent fetches and delivers nothing", async () => {
    const fresh = { ...env, STATE_DIR: path.join(dir, "state-0"), MAILDIR: path.join(dir, "Maildir-0") };
    farm.resetCounters();
    const summary = await runTick({ env: fresh, budgetMs: 0, logger: silentLogger, pool });
    assert.equal(summary.stoppedBy, "stopSignal");
    assert.equal(farm.counters.feedRequests, 0);
    assert.deepEqual(await readMaildir(fresh.MAILDIR), []);
  });
});

describe("cli run --budget", () => {
  test("the budget ends an endless run: sources stop, every produced item reaches the sink, exit 0", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-budget-cli-"));
    try {
      const stages = fileURLToPath(new URL("./fixtures/cli/stages.ts", import.meta.url));
      const out = path.join(dir, "out.txt");
      const summaryFile = path.join(dir, "summary.json");
      const file = path.join(dir, "endless.yaml");
      await writeFile(
        file,
        `name: endless\nstages:\n  - use: ${stages}#numbers\n    with: { count: 0 }\n` +
          `  - use: ${stages}#lines\n    with: { file: ${out} }\n`,
      );
      const clock = new ManualClock("2026-01-01T00:00:00Z");
      const code = runCommand({ file, budgetMs: 10 * 60_000, clock, quiet: true, summaryJson: summaryFile });
      await clock.whenSleeping(1); // the budget's deadline is set: spend it
      await clock.advance(10 * 60_000);
      assert.equal(await code, EXIT.OK);
      const summary = JSON.parse(await readFile(summaryFile, "utf8"));
      assert.equal(summary.stopped, true);
      const [source, sink] = summary.stages;
      assert.ok(source.itemsOut > 0);
      assert.equal(sink.itemsIn, source.itemsOut, "an item in flight was lost");
      assert.equal((await readFile(out, "utf8")).trim().split("\n").length, source.itemsOut);
      assert.equal(
        summary.status,
        `time budget of 10 min reached: ${sink.itemsIn} item${sink.itemsIn === 1 ? "" : "s"} delivered; ` +
          "the rest comes next run",
      );
      assert.equal(summary.budgetReached, true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("items still in flight when the grace period ends: the budget is named, not an error, exit 0", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-budget-grace-"));
    try {
      const stages = fileURLToPath(new URL("./fixtures/cli/stages.ts", import.meta.url));
      const summaryFile = path.join(dir, "summary.json");
      const file = path.join(dir, "stalls.yaml");
      await writeFile(
        file,
        `name: stalls\nstages:\n  - use: ${stages}#numbers\n    with: { count: 0 }\n  - use: ${stages}#stall\n`,
      );
      const clock = new ManualClock("2026-01-01T00:00:00Z");
      const code = runCommand({
        file,
        budgetMs: 30_000,
        clock,
        quiet: true,
        graceMs: 20,
        summaryJson: summaryFile,
      });
      await clock.whenSleeping(1);
      await clock.advance(30_000);
      assert.equal(await code, EXIT.OK);
      const summary = JSON.parse(await readFile(summaryFile, "utf8"));
      assert.equal(summary.aborted, true, "the stalled item was not cut off by the grace period");
      assert.equal(
        summary.status,
        "time budget of 30 s reached: 0 items delivered; items still in flight after the grace period were " +
          "stopped and count as not delivered; the rest comes next run",
      );
      assert.doesNotMatch(summary.status, /stopped on an error/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
