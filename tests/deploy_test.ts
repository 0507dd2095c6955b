/**
 * deploy.ts, the Deno Deploy entry: runTick with Deno KV state and the worker pool on the event loop
 * (as on Deploy, which has no Worker) delivers rss2imap into a Maildir and resumes from KV; the
 * settings and their defaults; the cron registration (native cron, its absence, overlapping ticks);
 * and that the module registers nothing when imported and only logs where Deno.cron is missing.
 */
import { after, before, describe, test } from "./support/testing.ts";
import { CLI_CHILD_TIMEOUT_MS } from "./support/cli_child.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  DEFAULT_BUDGET_MS,
  DEFAULT_CRON,
  DeploySettingError,
  deploySettings,
  registerDeployCron,
  runTick,
} from "../deploy.ts";
import { WorkerPool } from "../engine/kernel/mod.ts";
import { silentLogger } from "../engine/pipeline/mod.ts";
import { kvSupport } from "../engine/runtime/kv.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { openStore } from "../engine/state/mod.ts";
import { FeedStateBook } from "../stages/feed_state.ts";
import { type FeedFarm, startFeedFarm } from "./support/feed_farm.ts";
import { readMaildir } from "./support/maildir_reader.ts";
import { headerValue, parseMime } from "./support/mime_reader.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const noKv = kvSupport().available
  ? false
  : `Deno KV is not available under ${runtime.name}: runTick on KV is Deno-only`;
// Bun does not print why a suite was skipped: say it here.
if (noKv) console.warn(`deploy_test: skipping "runTick on Deno KV": ${noKv}`);

/** A promise with its resolver. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("runTick on Deno KV with the pool on the event loop", { skip: noKv }, () => {
  let farm: FeedFarm;
  let dir = "";
  let env: Record<string, string> = {};

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-deploy-"));
    farm = await startFeedFarm({ feeds: 4, entries: 3, images: 1, latencyMs: 2 });
    await writeFile(path.join(dir, "feeds.txt"), farm.feedListText);
    env = {
      FEEDS: path.join(dir, "feeds.txt"),
      MAILDIR: path.join(dir, "Maildir"),
      STATE_DIR: `kv:${path.join(dir, "state.kv")}`,
    };
  });
  after(async () => {
    await farm?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("the YAML rss2imap delivers every entry once; the next tick gets 304s; KV holds the state", async () => {
    const pool = new WorkerPool({ useWorkers: false });
    const lines: string[] = [];
    const logger = { log: (_level: string, message: string) => void lines.push(message) };
    try {
      assert.equal(pool.usesWorkers, false);
      const first = await runTick({ env, pool, logger, budgetMs: 30_000 });
      assert.equal(first.ok, true, JSON.stringify(first.failures));
      const parse = first.metrics.stages.find((s) => s.name === "parse");
      assert.equal(parse?.itemsIn, 4, "parse (a pool stage) did not run on the event loop");
      const stored = await readMaildir(env.MAILDIR);
      assert.equal(stored.length, 4 * 3);
      const ids = stored.map((m) => headerValue(parseMime(m.raw), "X-Sluice-Entry-Id"));
      assert.equal(new Set(ids).size, ids.length);
      assert.ok(lines.some((l) => l.includes(`state kv:`) && l.includes("the event loop")), lines.join("\n"));

      farm.resetCounters();
      const second = await runTick({ env, pool, logger: silentLogger });
      assert.equal(second.ok, true);
      assert.equal(farm.counters.notModified, 4);
      assert.equal((await readMaildir(env.MAILDIR)).length, 4 * 3);
    } finally {
      await pool.close();
    }
    const store = await openStore(env.STATE_DIR);
    try {
      assert.equal(await store.deliveredCount(), 4 * 3);
      assert.equal((await new FeedStateBook(store).listFeeds()).length, 4);
    } finally {
      await store.close();
    }
  });

  test("SLUICE_PIPELINE=rss2imap.ts runs the TypeScript rss2imap on the same state", async () => {
    farm.bump(1, 2);
    const pool = new WorkerPool({ useWorkers: false });
    const summary = await runTick({
      env: { ...env, SLUICE_PIPELINE: "rss2imap.ts" },
      pool,
      logger: silentLogger,
    });
    await pool.close();
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    assert.deepEqual(summary.metrics.stages.map((s) => s.name).slice(0, 4), [
      "feeds",
      "fetch",
      "parse",
      "dedupe",
    ]);
    assert.equal((await readMaildir(env.MAILDIR)).length, 4 * 3 + 2, "only the two new entries arrive");
  });
});

describe("deploySettings", () => {
  test("defaults: the YAML rss2imap, every 15 minutes, 50 s budget, KV state where KV exists", () => {
    const s = deploySettings({});
    assert.equal(s.pipeline, path.join(repo, "pipelines", "rss2imap.yaml"));
    assert.equal(s.cron, DEFAULT_CRON);
    assert.equal(s.budgetMs, DEFAULT_BUDGET_MS);
    assert.equal(s.stateDir, kvSupport().available ? "kv:" : "./.sluice");
    assert.equal(deploySettings({ STATE_DIR: "/var/lib/sluice" }).stateDir, "/var/lib/sluice");
    assert.equal(deploySettings({ SLUICE_BUDGET: "20s", SLUICE_GRACE: "2s" }).budgetMs, 20_000);
  });

  test("a budget or schedule that does not parse is an error naming the variable", () => {
    assert.throws(
      () => deploySettings({ SLUICE_BUDGET: "soon" }),
      (e: DeploySettingError) => e instanceof DeploySettingError && /SLUICE_BUDGET=`soon`/.test(e.message),
    );
    assert.throws(() => deploySettings({ SLUICE_CRON: "0 25 * * *" }), /SLUICE_CRON=`0 25 \* \* \*`.*hour/);
    assert.equal(deploySettings({ SLUICE_CRON: "off" }).cron, "off");
  });
});

describe("registerDeployCron", () => {
  test("registers the tick with native cron; a tick while one runs is skipped; a failing tick is logged", async () => {
    let fire: (() => Promise<void>) | undefined;
    let schedule = "";
    let stopped = false;
    const native = {
      nativeCron: (_name: string, expr: string, fn: () => Promise<void>) => {
        schedule = expr;
        fire = fn;
        return { stop: () => void (stopped = true) };
      },
      nativeCronMissingHint: () => undefined,
    };
    const logs: string[] = [];
    const gate = deferred();
    let ticks = 0;
    const job = registerDeployCron({
      cron: "@hourly",
      runtime: native,
      log: (m) => void logs.push(m),
      tick: async () => {
        ticks++;
        if (ticks === 1) await gate.promise;
        else throw new Error("IMAP down");
      },
    });
    assert.ok(job && fire);
    assert.equal(schedule, "0 * * * *", "native cron gets the five fields");
    const running = fire();
    await fire();
    assert.equal(ticks, 1);
    assert.ok(logs.some((l) => l.includes("tick skipped")), logs.join("\n"));
    gate.resolve();
    await running;
    await fire();
    assert.equal(ticks, 2);
    assert.ok(logs.some((l) => l.includes("the tick failed: IMAP down")), logs.join("\n"));
    job.stop();
    assert.equal(stopped, true);
  });

  test("without native cron it registers nothing and says why; `off` registers nothing", () => {
    const logs: string[] = [];
    const job = registerDeployCron({
      cron: DEFAULT_CRON,
      runtime: { nativeCron: () => undefined, nativeCronMissingHint: () => "run deno with --unstable-cron" },
      log: (m) => void logs.push(m),
      tick: () => Promise.reject(new Error("must not run")),
    });
    assert.equal(job, undefined);
    assert.match(
      logs.join("\n"),
      /no native cron here \(run deno with --unstable-cron\); nothing registered/,
    );
    let asked = false;
    const off = registerDeployCron({
      cron: "off",
      runtime: { nativeCron: () => (asked = true, undefined), nativeCronMissingHint: () => undefined },
      log: () => {},
    });
    assert.equal(off, undefined);
    assert.equal(asked, false);
  });

  test("as the entrypoint without native cron, deploy.ts logs the reason and exits", async () => {
    const isDeno = runtime.name === "deno";
    // Deno without --unstable-cron has no Deno.cron; Bun has Bun.cron, so `off` is the no-op there.
    const args = isDeno ? ["run", "-A", path.join(repo, "deploy.ts")] : [path.join(repo, "deploy.ts")];
    const env = { ...process.env, NO_COLOR: "1", ...(isDeno ? {} : { SLUICE_CRON: "off" }) };
    const child = spawn(process.execPath, args, {
      cwd: repo,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: CLI_CHILD_TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c) => resolve(c));
    });
    assert.equal(code, 0, output);
    assert.match(output, isDeno ? /no native cron here \(run deno with --unstable-cron/ : /SLUICE_CRON=off/);
    assert.doesNotMatch(output, /tick:/, "a tick ran");
  });
});
