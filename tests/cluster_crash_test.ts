/**
 * A sluice cluster loses nothing and delivers nothing twice when workers die: rss2imap runs over three
 * `cli.ts worker` processes against Dovecot while the test SIGKILLs a worker at points picked at random
 * (after the Nth image request of the run, so while units are in flight; then, after the Nth message is
 * stored, the worker holding the mailbox's lease, the one appending), and starts a replacement. The killed
 * worker's units and unacknowledged messages are redelivered (the consumers' ack wait is 2 s here, leases
 * last 4 s: the mailbox's lease moves to another worker) and its messages in doubt are looked for in their
 * folder before being sent again. `CLUSTER_KILL_ROUNDS` (default 3, two kills each) sets how many runs;
 * new entries appear before each.
 */
import { after, before, describe, test } from "./support/testing.ts";
import { stopChild } from "./support/child_stop.ts";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "../engine/runtime/mod.ts";
import { EXIT } from "../cli/exit_codes.ts";
import { type NatsLink, openNats } from "../engine/nats/connection.ts";
import { openWorkQueue, type WorkQueue } from "../engine/cluster/work_queue.ts";
import { DOVECOT_MISSING, dovecotAvailable, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { type FeedFarm, startFeedFarm } from "./support/feed_farm.ts";
import { readMaildir } from "./support/maildir_reader.ts";
import { headerValue, parseMime } from "./support/mime_reader.ts";
import {
  CLUSTER_TEST_TIMEOUT_MS,
  natsSkip,
  type RunningNats,
  startNatsServer,
} from "./support/nats_server.ts";
import { runCliChild } from "./support/cli_child.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");
const skip = natsSkip() || (dovecotAvailable() || runtime.env("CI") ? false : DOVECOT_MISSING);
if (skip) console.log(`cluster crash suite skipped: ${skip}`);

const FEEDS = 10;
const ROUNDS = Number(runtime.env("CLUSTER_KILL_ROUNDS") ?? 3);
const NEW_PER_ROUND = 3;

interface WorkerChild {
  child: ChildProcess;
  stopped: Promise<number | null>;
}

function startWorker(nats: string, env: Record<string, string> = {}): WorkerChild {
  const pre = runtime.name === "deno"
    ? ["run", "-A", "--unstable-kv", "--unstable-cron", path.join(repo, "cli.ts")]
    : [path.join(repo, "cli.ts")];
  const child = spawn(process.execPath, [...pre, "worker", "--nats", nats, "--quiet"], {
    cwd: repo,
    // Secrets (IMAP_URL holds the password) come from each worker's own environment, never from NATS.
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "ignore", "ignore"],
  });
  const stopped = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, stopped };
}

async function storedIds(dove: RunningDovecot): Promise<string[]> {
  const stored = await readMaildir(dove.mailRoot);
  return stored.map((s) => headerValue(parseMime(s.raw), "X-Sluice-Entry-Id") ?? "?");
}

/** Resolves once the mailbox holds at least `n` messages (or `done` settles first). */
async function untilStored(dove: RunningDovecot, n: number, done: Promise<unknown>): Promise<void> {
  let finished = false;
  void done.then(() => finished = true);
  while (!finished && (await readMaildir(dove.mailRoot)).length < n) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([done, new Promise((r) => timer = setTimeout(r, 20))]);
    clearTimeout(timer);
  }
}

const random = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

describe("cluster: SIGKILLed workers lose nothing and deliver nothing twice", { skip }, () => {
  let nats: RunningNats;
  let dove: RunningDovecot;
  let farm: FeedFarm;
  let dir = "";
  const workers: WorkerChild[] = [];
  let link: NatsLink | undefined;
  let queue: WorkQueue;

  /** The process id of the worker holding the mailbox's lease now, if one does. */
  const mailboxHolder = async (): Promise<number | undefined> => {
    for await (const key of await queue.leases.keys("owner.>")) {
      const entry = await queue.leases.get(key);
      if (entry?.operation !== "PUT") continue;
      const holder = (JSON.parse(entry.string()) as { holder: string }).holder;
      return Number(holder.slice(holder.lastIndexOf(":") + 1));
    }
    return undefined;
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-cluster-crash-"));
    nats = await startNatsServer();
    // The consumer is made before any worker: units of a dead worker come back after 2 s, not 30.
    link = await openNats(nats.url);
    queue = await openWorkQueue(link.nc, { ackWaitMs: 2_000, leaseTtlMs: 4_000 });
    dove = await startDovecot({ fsync: false });
    farm = await startFeedFarm({ feeds: FEEDS, entries: 2, images: 1, latencyMs: 20 });
    await writeFile(path.join(dir, "feeds.opml"), farm.opmlText);
    for (let i = 0; i < 3; i++) workers.push(startWorker(nats.url, { IMAP_URL: dove.url }));
  });
  after(async () => {
    await Promise.all(workers.map((w) => stopChild(w.child, w.stopped)));
    await link?.release();
    await farm?.close();
    await dove?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test(`${ROUNDS} runs, two SIGKILLs in each: every entry stored exactly once`, {
    timeout: CLUSTER_TEST_TIMEOUT_MS,
  }, async () => {
    const env = {
      FEEDS: path.join(dir, "feeds.opml"),
      IMAP_URL: dove.url,
      STATE_DIR: path.join(dir, "state"),
    };
    let expected = FEEDS * 2;
    let kills = 0;
    let holderKills = 0;
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) {
        for (let i = 0; i < FEEDS; i++) farm.bump(i, NEW_PER_ROUND);
        expected += FEEDS * NEW_PER_ROUND;
      }
      const before = (await storedIds(dove)).length;
      const fresh = expected - before;
      farm.resetCounters();
      const run = runCliChild(["run", yamlFile, "--nats", nats.url, "--quiet"], env);
      const kill = (pid?: number) => {
        const alive = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
        const victim = alive.find((w) => w.child.pid === pid) ?? alive[random(0, alive.length - 1)];
        if (pid !== undefined && victim.child.pid === pid) holderKills++;
        victim.child.kill("SIGKILL");
        workers.splice(workers.indexOf(victim), 1);
        workers.push(startWorker(nats.url, { IMAP_URL: dove.url }));
        kills++;
      };
      // While units are in flight: after a random image request of this run.
      const images = random(1, Math.max(1, Math.floor(fresh / 2)));
      await Promise.race([farm.until((c) => c.imageRequests >= images, CLUSTER_TEST_TIMEOUT_MS), run]);
      kill();
      // After a random message is stored: the process holding the mailbox (appending) dies.
      await untilStored(dove, before + random(1, fresh - 1), run);
      kill(await mailboxHolder());
      const result = await run;
      assert.equal(result.code, EXIT.OK, `round ${round}: ${result.stderr}`);
      const ids = await storedIds(dove);
      const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
      assert.deepEqual(twice, [], `round ${round}: delivered twice`);
      assert.equal(ids.length, expected, `round ${round}: ${expected - ids.length} entries missing`);
    }
    console.log(
      `cluster crash: ${kills} workers SIGKILLed over ${ROUNDS} runs (${holderKills} of them holding the ` +
        `mailbox); ${expected} entries, each once`,
    );
    assert.ok(holderKills > 0, "the mailbox holder was never among the killed");
  });
});
