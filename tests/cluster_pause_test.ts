/**
 * The mailbox holder's fence (engine/cluster/owner_fence.ts) when its lease runs out under it: rss2imap
 * runs over three `cli.ts worker` processes against Dovecot, and after a message picked at random is
 * stored, the test freezes the worker holding the mailbox (SIGSTOP) until another worker has taken the
 * lease over (leases last 4 s here, the ack wait is 2 s), then lets it go on (SIGCONT). The frozen worker
 * wakes up in the middle of whatever it was doing, its lease long gone, while the new holder appends: it
 * must not append anything more, and the new holder must not append what the old one had stored.
 * `CLUSTER_PAUSE_ROUNDS` (default 2) sets how many runs; new entries appear before each.
 */
import { after, before, describe, test } from "./support/testing.ts";
import { signalPid, stopChild } from "./support/child_stop.ts";
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
if (skip) console.log(`cluster pause suite skipped: ${skip}`);

const FEEDS = 10;
const ROUNDS = Number(runtime.env("CLUSTER_PAUSE_ROUNDS") ?? 2);
const NEW_PER_ROUND = 3;
/** The longest the test waits for another worker to take the frozen one's lease. */
const TAKEOVER_LIMIT_MS = 60_000;

interface WorkerChild {
  child: ChildProcess;
  stopped: Promise<number | null>;
  log(): string;
}

function startWorker(nats: string, env: Record<string, string> = {}): WorkerChild {
  const pre = runtime.name === "deno"
    ? ["run", "-A", "--unstable-kv", "--unstable-cron", path.join(repo, "cli.ts")]
    : [path.join(repo, "cli.ts")];
  const child = spawn(process.execPath, [...pre, "worker", "--nats", nats], {
    cwd: repo,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let text = "";
  child.stderr!.on("data", (d) => (text += d));
  const stopped = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, stopped, log: () => text };
}

async function storedIds(dove: RunningDovecot): Promise<string[]> {
  const stored = await readMaildir(dove.mailRoot);
  return stored.map((s) => headerValue(parseMime(s.raw), "X-Sluice-Entry-Id") ?? "?");
}

/** Waits 20 ms, or less when `done` settles first. */
async function tick(done: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([done, new Promise((r) => timer = setTimeout(r, 20))]);
  clearTimeout(timer);
}

/** Resolves once the mailbox holds at least `n` messages (or `done` settles first). */
async function untilStored(dove: RunningDovecot, n: number, done: Promise<unknown>): Promise<void> {
  let finished = false;
  void done.then(() => finished = true);
  while (!finished && (await readMaildir(dove.mailRoot)).length < n) await tick(done);
}

const random = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

describe("cluster: a mailbox holder frozen past its lease appends nothing twice", { skip }, () => {
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
    dir = await mkdtemp(path.join(tmpdir(), "sluice-cluster-pause-"));
    nats = await startNatsServer();
    // Made before any worker: a lease of 4 s, messages of a silent holder come back after 2 s.
    link = await openNats(nats.url);
    queue = await openWorkQueue(link.nc, { ackWaitMs: 2_000, leaseTtlMs: 4_000 });
    dove = await startDovecot({ fsync: false });
    farm = await startFeedFarm({ feeds: FEEDS, entries: 3, images: 1, latencyMs: 20 });
    await writeFile(path.join(dir, "feeds.opml"), farm.opmlText);
    for (let i = 0; i < 3; i++) workers.push(startWorker(nats.url, { IMAP_URL: dove.url }));
  });
  after(async () => {
    // stopChild resumes a frozen worker first.
    await Promise.all(workers.map((w) => stopChild(w.child, w.stopped)));
    await link?.release();
    await farm?.close();
    await dove?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test(`${ROUNDS} runs, the holder frozen past its lease in each: every entry stored exactly once`, {
    timeout: CLUSTER_TEST_TIMEOUT_MS,
  }, async () => {
    const env = {
      FEEDS: path.join(dir, "feeds.opml"),
      IMAP_URL: dove.url,
      STATE_DIR: path.join(dir, "state"),
    };
    let expected = FEEDS * 3;
    let pauses = 0;
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) {
        for (let i = 0; i < FEEDS; i++) farm.bump(i, NEW_PER_ROUND);
        expected += FEEDS * NEW_PER_ROUND;
      }
      const before = (await storedIds(dove)).length;
      const fresh = expected - before;
      const run = runCliChild(["run", yamlFile, "--nats", nats.url, "--quiet"], env);
      let finished = false;
      void run.then(() => finished = true);
      // While the holder appends: after a message picked at random is stored.
      await untilStored(dove, before + random(1, Math.max(1, Math.floor(fresh / 2))), run);
      let holder: number | undefined;
      while (!finished && holder === undefined) {
        holder = await mailboxHolder();
        if (holder === undefined) await tick(run);
      }
      const frozen = workers.find((w) => w.child.pid === holder);
      if (frozen) {
        // By process id: under Deno, ChildProcess takes a stopped child for one that exited.
        signalPid(frozen.child.pid!, "SIGSTOP");
        pauses++;
        // Until another worker holds the mailbox (its lease ran out), or the run ends without one.
        const limit = Date.now() + TAKEOVER_LIMIT_MS;
        let now: number | undefined = holder;
        while (!finished && (now === holder || now === undefined) && Date.now() < limit) {
          await tick(run);
          now = await mailboxHolder();
        }
        signalPid(frozen.child.pid!, "SIGCONT");
      }
      const result = await run;
      const logs = () => result.stderr + workers.map((w) => w.log().slice(-4000)).join("\n---\n");
      assert.equal(result.code, EXIT.OK, `round ${round}: ${logs()}`);
      const ids = await storedIds(dove);
      const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
      assert.deepEqual(twice, [], `round ${round}: delivered twice\n${logs()}`);
      assert.equal(ids.length, expected, `round ${round}: ${expected - ids.length} entries missing`);
    }
    console.log(
      `cluster pause: the mailbox holder frozen in ${pauses} of ${ROUNDS} runs; ${expected} entries, each once`,
    );
    assert.ok(pauses > 0, "the mailbox holder was never frozen");
  });
});
