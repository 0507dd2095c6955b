/**
 * rss2imap on a sluice cluster: a real nats-server with JetStream, worker processes (`cli.ts worker`),
 * and the submitting `cli.ts run --nats`, against a real Dovecot and the feed farm. Every entry arrives
 * exactly once; a second run delivers nothing; the submitter's exit status means what a local run's does.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "../engine/runtime/mod.ts";
import { EXIT } from "../cli/exit_codes.ts";
import { DOVECOT_MISSING, dovecotAvailable, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { type FeedFarm, startFeedFarm } from "./support/feed_farm.ts";
import { readMaildir } from "./support/maildir_reader.ts";
import { headerValue, parseMime } from "./support/mime_reader.ts";
import { natsSkip, type RunningNats, startNatsServer } from "./support/nats_server.ts";
import { runCliChild, stopChild } from "./support/cli_child.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");
const skip = natsSkip() || (dovecotAvailable() || runtime.env("CI") ? false : DOVECOT_MISSING);
if (skip) console.log(`cluster suite skipped: ${skip}`);

const FEEDS = 12;
const ENTRIES = 5;

/** A `cli.ts worker` child process; `stopped` resolves with its exit code once it has exited. */
interface WorkerChild {
  child: ChildProcess;
  stopped: Promise<number | null>;
  log(): string;
}

function startWorker(nats: string): WorkerChild {
  const pre = runtime.name === "deno"
    ? ["run", "-A", "--unstable-kv", "--unstable-cron", path.join(repo, "cli.ts")]
    : [path.join(repo, "cli.ts")];
  const child = spawn(process.execPath, [...pre, "worker", "--nats", nats], {
    cwd: repo,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let text = "";
  child.stderr!.on("data", (d) => (text += d));
  const stopped = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, stopped, log: () => text };
}

async function stopWorkers(workers: WorkerChild[]): Promise<void> {
  await Promise.all(workers.map((w) => stopChild(w.child, w.stopped)));
}

/** Entry ids in the mailbox, each as often as it was stored. */
async function storedIds(dove: RunningDovecot): Promise<string[]> {
  const stored = await readMaildir(dove.mailRoot);
  return stored.map((s) => headerValue(parseMime(s.raw), "X-Sluice-Entry-Id") ?? "?");
}

describe("rss2imap on a cluster (nats-server, 3 workers, Dovecot)", { skip }, () => {
  let nats: RunningNats;
  let dove: RunningDovecot;
  let farm: FeedFarm;
  let dir = "";
  let workers: WorkerChild[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-cluster-"));
    nats = await startNatsServer();
    dove = await startDovecot({ fsync: false });
    farm = await startFeedFarm({ feeds: FEEDS, entries: ENTRIES, images: 1, latencyMs: 5 });
    await writeFile(path.join(dir, "feeds.opml"), farm.opmlText);
    workers = [startWorker(nats.url), startWorker(nats.url), startWorker(nats.url)];
  });
  after(async () => {
    await stopWorkers(workers);
    await farm?.close();
    await dove?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const env = () => ({
    FEEDS: path.join(dir, "feeds.opml"),
    IMAP_URL: dove.url,
    STATE_DIR: path.join(dir, "state"),
  });

  test("every entry arrives exactly once; the submitter's summary counts the workers' work", async () => {
    const run = await runCliChild(["run", yamlFile, "--nats", nats.url], env());
    assert.equal(run.code, EXIT.OK, run.stderr + workers.map((w) => w.log()).join("\n"));
    if (runtime.env("DEBUG_CLUSTER")) console.log(run.stderr, workers.map((w) => w.log()).join("\n"));
    const ids = await storedIds(dove);
    assert.equal(ids.length, FEEDS * ENTRIES, run.stderr);
    assert.equal(new Set(ids).size, ids.length, "an entry was delivered twice");
    assert.match(run.stderr, /running on the cluster/);
    assert.match(run.stderr, new RegExp(`mailbox\\s+\\S+\\s+in\\s+${FEEDS * ENTRIES}\\b`), run.stderr);
  });

  test("a second run fetches conditionally and delivers nothing", async () => {
    const run = await runCliChild(["run", yamlFile, "--nats", nats.url], env());
    assert.equal(run.code, EXIT.OK, run.stderr);
    assert.equal((await storedIds(dove)).length, FEEDS * ENTRIES);
    assert.match(run.stderr, new RegExp(`fetch\\s+\\S+\\s+in\\s+${FEEDS}\\b`), run.stderr);
  });

  test("a refused IMAP login on the workers stops the run with exit 3", async () => {
    const wrong = dove.url.replace(/:[^:@/]+@/, ":wrong-password@");
    const run = await runCliChild(["run", yamlFile, "--nats", nats.url], {
      ...env(),
      IMAP_URL: wrong,
      STATE_DIR: path.join(dir, "state-wrong"),
    });
    assert.equal(run.code, EXIT.RUN_FAILED, run.stderr);
  });
});
