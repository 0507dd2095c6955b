/**
 * One run at a time on a state (issue 13, item 1), as users start runs: `cli.ts` child processes on one
 * `STATE_DIR`, against the real Dovecot and the feed farm. Two W1-shaped runs (25 feeds x 20 entries)
 * started together deliver each entry once; a run that finds the state in use exits 75 naming the holder;
 * `--wait-lock` waits for it; a SIGKILLed holder does not block the next run; the Deploy tick and the
 * in-process runner take the same lease.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "../engine/runtime/mod.ts";
import { openStore } from "../engine/state/mod.ts";
import { acquireLease } from "../engine/state/lease.ts";
import { runPipeline, silentLogger } from "../engine/pipeline/mod.ts";
import { loadPipeline } from "../cli/load.ts";
import { exitCodeOf, runCommand } from "../cli/run_command.ts";
import { ManualClock } from "../engine/schedule/mod.ts";
import { existsSync } from "node:fs";
import { EXIT } from "../cli/exit_codes.ts";
import { dovecotSkip, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { type FeedFarm, startFeedFarm } from "./support/feed_farm.ts";
import { readMaildir } from "./support/maildir_reader.ts";
import { CLI_CHILD_TIMEOUT_MS, runCliChild as cli } from "./support/cli_child.ts";
import { headerValue, parseMime } from "./support/mime_reader.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");
const HOLDER = /in use by another run: pid \d+ on host \S+ since \d{4}-\d\d-\d\dT[\d:.]+Z/;

/** How many messages each entry id gained between two counts (ids with no new message left out). */
function gained(before: Map<string, number>, after: Map<string, number>): Array<[string, number]> {
  return [...after].map(([id, n]): [string, number] => [id, n - (before.get(id) ?? 0)]).filter(([, n]) =>
    n > 0
  );
}

/** How many stored messages carry each entry id. */
async function countByEntry(root: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const s of await readMaildir(root)) {
    const id = headerValue(parseMime(s.raw), "X-Sluice-Entry-Id") ?? "";
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe("one run at a time on a state", { skip: dovecotSkip() }, () => {
  let dove: RunningDovecot;
  let w1: FeedFarm;
  let slow: FeedFarm;
  let dir = "";
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-lease-"));
    dove = await startDovecot({ fsync: false });
    w1 = await startFeedFarm({ feeds: 25, entries: 20, images: 0 });
    // Three feeds that answer and one that never does: a run on it holds its lease until it is killed.
    slow = await startFeedFarm({ feeds: 4, entries: 2, images: 0, failing: [{ feed: 0, mode: "hang" }] });
    await writeFile(path.join(dir, "w1.txt"), w1.feedListText);
    await writeFile(path.join(dir, "slow.txt"), slow.feedListText);
  });
  after(async () => {
    await w1?.close();
    await slow?.close();
    await dove?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("two W1 runs started together on one state (--wait-lock) deliver each of the 500 entries once", async () => {
    const env = {
      FEEDS: path.join(dir, "w1.txt"),
      STATE_DIR: path.join(dir, "together"),
      IMAP_URL: dove.url,
    };
    const before = await countByEntry(dove.mailRoot);
    const [a, b] = await Promise.all([
      cli([yamlFile, "--quiet", "--wait-lock", "2m"], env),
      cli([yamlFile, "--quiet", "--wait-lock", "2m"], env),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const added = gained(before, await countByEntry(dove.mailRoot));
    assert.equal(added.length, 500, "every entry arrived");
    assert.deepEqual(added.filter(([, n]) => n !== 1), [], "no entry arrived twice");
    assert.equal(added.reduce((n, [, k]) => n + k, 0), 500, "500 messages in the mailbox");
  });

  test("two W1 runs started together without --wait-lock: one delivers, the other exits 75 naming it", async () => {
    const env = { FEEDS: path.join(dir, "w1.txt"), STATE_DIR: path.join(dir, "refused"), IMAP_URL: dove.url };
    const before = await countByEntry(dove.mailRoot);
    const results = await Promise.all([cli([yamlFile, "--quiet"], env), cli([yamlFile, "--quiet"], env)]);
    const codes = results.map((r) => r.code).sort();
    const added = gained(before, await countByEntry(dove.mailRoot));
    assert.deepEqual(added.filter(([, n]) => n !== 1), [], "no entry arrived twice");
    assert.equal(added.length, 500);
    // Both may succeed only if one finished before the other began; whoever met the other was refused.
    if (codes[1] !== 0) {
      assert.deepEqual(codes, [0, EXIT.STATE_IN_USE], results.map((r) => r.stderr).join("\n"));
      const refused = results.find((r) => r.code === EXIT.STATE_IN_USE)!;
      assert.match(refused.stderr, HOLDER);
      assert.match(refused.stderr, /--wait-lock/);
    }
  });

  /** Starts `cli.ts ARGS` as a child whose stderr can be watched while it runs. */
  function spawnCli(args: string[], env: Record<string, string>) {
    const pre = runtime.name === "deno"
      ? ["run", "-A", "--unstable-kv", "--unstable-cron", "cli.ts"]
      : ["cli.ts"];
    const child = spawn(process.execPath, [...pre, ...args], {
      cwd: repo,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "ignore", "pipe"],
      timeout: CLI_CHILD_TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    let stderr = "";
    const watchers = new Set<() => void>();
    child.stderr!.on("data", (d) => {
      stderr += d;
      for (const w of watchers) w();
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    /** Resolves once stderr matches `pattern`; fails if the child exits first. */
    const saw = (pattern: RegExp) =>
      Promise.race([
        new Promise<void>((resolve) => {
          const check = () => pattern.test(stderr) && (watchers.delete(check), resolve());
          watchers.add(check);
          check();
        }),
        exited.then((code) => {
          if (!pattern.test(stderr)) assert.fail(`exited (${code}) before printing ${pattern}: ${stderr}`);
        }),
      ]);
    return { child, exited, saw, stderr: () => stderr };
  }

  /** Starts `cli.ts` on the slow farm and resolves once its run holds the lease (a feed was answered). */
  async function startHolder(env: Record<string, string>) {
    slow.resetCounters();
    const holder = spawnCli([yamlFile, "--quiet", "--grace", "100ms"], env);
    await Promise.race([
      slow.until((c) => c.feedOk >= 1),
      holder.exited.then((code) => assert.fail(`the holder exited early (${code}): ${holder.stderr()}`)),
    ]);
    return holder;
  }

  test("a run meeting a live holder exits 75 at once, naming its pid; --wait-lock waits until it is gone", async () => {
    const state = path.join(dir, "held");
    const env = { FEEDS: path.join(dir, "slow.txt"), STATE_DIR: state, IMAP_URL: dove.url };
    const holder = await startHolder(env);
    const refused = await cli([yamlFile, "--quiet"], env);
    assert.equal(refused.code, EXIT.STATE_IN_USE, refused.stderr);
    assert.match(refused.stderr, new RegExp(`pid ${holder.child.pid} on host `));
    assert.match(refused.stderr, HOLDER);

    const waiting = spawnCli([yamlFile, "--wait-lock", "5m"], { ...env, FEEDS: path.join(dir, "w1.txt") });
    // The waiting run says so; then the holder ends (SIGTERM: it drains and releases its lease).
    await waiting.saw(new RegExp(`waiting for the state's lease: in use by pid ${holder.child.pid} `));
    holder.child.kill("SIGTERM");
    await holder.exited;
    assert.equal(await waiting.exited, 0, waiting.stderr());
    assert.match(waiting.stderr(), /finished/);
  });

  test("a SIGKILLed holder's lease does not block the next run: it is taken over at once", async () => {
    const state = path.join(dir, "killed");
    const env = { FEEDS: path.join(dir, "slow.txt"), STATE_DIR: state, IMAP_URL: dove.url };
    const holder = await startHolder(env);
    holder.child.kill("SIGKILL");
    await holder.exited;
    const store = await openStore(state);
    try {
      assert.equal((await store.readLease())?.pid, holder.child.pid, "the killed run left its lease");
    } finally {
      await store.close();
    }
    const next = await cli([yamlFile], { ...env, FEEDS: path.join(dir, "w1.txt") });
    assert.equal(next.code, 0, next.stderr);
    assert.match(
      next.stderr,
      new RegExp(`taking over the lease of a run that is gone \\(pid ${holder.child.pid} `),
    );
  });

  test("in process: runPipeline refuses a held state before any feed is fetched (E_STATE_LEASED, exit 75)", async () => {
    const state = path.join(dir, "in-process");
    const store = await openStore(state);
    const lease = await acquireLease(store);
    try {
      w1.resetCounters();
      const { pipeline } = await loadPipeline(yamlFile, {
        FEEDS: path.join(dir, "w1.txt"),
        STATE_DIR: state,
      });
      const summary = await runPipeline(pipeline, { logger: silentLogger, measureLag: false });
      assert.equal((summary.error as { code?: string }).code, "E_STATE_LEASED");
      assert.equal(exitCodeOf(summary), EXIT.STATE_IN_USE);
      assert.equal(w1.counters.requests, 0, "nothing fetched");
    } finally {
      await lease.release();
      await store.close();
    }
  });
});

describe("the Deploy tick takes the same lease", () => {
  test("a tick on a state another run holds fetches nothing and says who holds it", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-lease-deploy-"));
    const farm = await startFeedFarm({ feeds: 2, entries: 2, images: 0 });
    const state = path.join(dir, "state");
    const store = await openStore(state);
    const lease = await acquireLease(store);
    try {
      await writeFile(path.join(dir, "feeds.txt"), farm.feedListText);
      const { runTick } = await import("../deploy.ts");
      const env = { FEEDS: path.join(dir, "feeds.txt"), STATE_DIR: state, MAILDIR: path.join(dir, "mail") };
      const summary = await runTick({ env, budgetMs: 60_000, logger: silentLogger });
      const error = summary.error as { code?: string; message?: string };
      assert.equal(error.code, "E_STATE_LEASED");
      assert.match(error.message ?? "", new RegExp(`pid ${process.pid} on host `));
      assert.equal(farm.counters.requests, 0, "nothing fetched");
    } finally {
      await lease.release();
      await store.close();
      await farm.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the long-lived scheduler takes the same lease", () => {
  test("a scheduled run on a state another run holds runs nothing; the schedule ends with 75", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-lease-schedule-"));
    const stagesModule = path.join(repo, "tests", "fixtures", "cli", "stages.ts");
    const out = path.join(dir, "out.txt");
    const file = path.join(dir, "scheduled.yaml");
    await writeFile(
      file,
      `name: scheduled
schedule: "*/10 * * * *"
state: ${path.join(dir, "state")}
stages:
  - use: ${stagesModule}#numbers
    with: { count: 4 }
  - use: ${stagesModule}#lines
    with: { file: ${out} }
`,
    );
    const store = await openStore(path.join(dir, "state"));
    const lease = await acquireLease(store);
    try {
      const clock = new ManualClock("2026-03-01T10:00:00Z");
      const stop = new AbortController();
      const code = runCommand({ file, quiet: true, clock, signal: stop.signal });
      await clock.whenSleeping(1);
      await clock.advance(10 * 60_000);
      stop.abort();
      assert.equal(await code, EXIT.STATE_IN_USE);
      assert.equal(existsSync(out), false, "the scheduled run wrote nothing");
    } finally {
      await lease.release();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
