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
import { signalPid } from "./support/child_stop.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runtime } from "../engine/runtime/mod.ts";
import { EXIT } from "../cli/exit_codes.ts";
import { type NatsLink, openNats } from "../engine/nats/connection.ts";
import { openWorkQueue, type WorkQueue } from "../engine/cluster/work_queue.ts";
import { DOVECOT_MISSING, dovecotAvailable, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { type FeedFarm, startFeedFarm } from "./support/feed_farm.ts";
import {
  CLUSTER_TEST_TIMEOUT_MS,
  natsSkip,
  type RunningNats,
  startNatsServer,
} from "./support/nats_server.ts";
import { runCliChild } from "./support/cli_child.ts";
import {
  mailboxHolder,
  randomBetween,
  startClusterWorker,
  stopWorkers,
  storedEntryIds,
  tick,
  untilStored,
  type WorkerChild,
} from "./support/cluster_workers.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");
const skip = natsSkip() || (dovecotAvailable() || runtime.env("CI") ? false : DOVECOT_MISSING);
if (skip) console.log(`cluster pause suite skipped: ${skip}`);

const FEEDS = 10;
const ROUNDS = Number(runtime.env("CLUSTER_PAUSE_ROUNDS") ?? 2);
const NEW_PER_ROUND = 3;
/** The longest the test waits for another worker to take the frozen one's lease. */
const TAKEOVER_LIMIT_MS = 60_000;
describe("cluster: a mailbox holder frozen past its lease appends nothing twice", { skip }, () => {
  let nats: RunningNats;
  let dove: RunningDovecot;
  let farm: FeedFarm;
  let dir = "";
  const workers: WorkerChild[] = [];
  let link: NatsLink | undefined;
  let queue: WorkQueue;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-cluster-pause-"));
    nats = await startNatsServer();
    // Made before any worker: a lease of 4 s, messages of a silent holder come back after 2 s.
    link = await openNats(nats.url);
    queue = await openWorkQueue(link.nc, { ackWaitMs: 2_000, leaseTtlMs: 4_000 });
    dove = await startDovecot({ fsync: false });
    farm = await startFeedFarm({ feeds: FEEDS, entries: 3, images: 1, latencyMs: 20 });
    await writeFile(path.join(dir, "feeds.opml"), farm.opmlText);
    for (let i = 0; i < 3; i++) workers.push(startClusterWorker(nats.url, { IMAP_URL: dove.url }));
  });
  after(async () => {
    // stopChild resumes a frozen worker first.
    await stopWorkers(workers);
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
      const before = (await storedEntryIds(dove)).length;
      const fresh = expected - before;
      const run = runCliChild(["run", yamlFile, "--nats", nats.url, "--quiet"], env);
      let finished = false;
      void run.then(() => finished = true);
      // While the holder appends: after a message picked at random is stored.
      await untilStored(dove, before + randomBetween(1, Math.max(1, Math.floor(fresh / 2))), run);
      let holder: number | undefined;
      while (!finished && holder === undefined) {
        holder = await mailboxHolder(queue);
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
          now = await mailboxHolder(queue);
        }
        signalPid(frozen.child.pid!, "SIGCONT");
      }
      const result = await run;
      const logs = () => result.stderr + workers.map((w) => w.log().slice(-4000)).join("\n---\n");
      assert.equal(result.code, EXIT.OK, `round ${round}: ${logs()}`);
      const ids = await storedEntryIds(dove);
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
