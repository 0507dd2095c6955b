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
  untilStored,
  type WorkerChild,
} from "./support/cluster_workers.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");
const skip = natsSkip() || (dovecotAvailable() || runtime.env("CI") ? false : DOVECOT_MISSING);
if (skip) console.log(`cluster crash suite skipped: ${skip}`);

const FEEDS = 10;
const ROUNDS = Number(runtime.env("CLUSTER_KILL_ROUNDS") ?? 3);
const NEW_PER_ROUND = 3;

describe("cluster: SIGKILLed workers lose nothing and deliver nothing twice", { skip }, () => {
  let nats: RunningNats;
  let dove: RunningDovecot;
  let farm: FeedFarm;
  let dir = "";
  const workers: WorkerChild[] = [];
  let link: NatsLink | undefined;
  let queue: WorkQueue;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-cluster-crash-"));
    nats = await startNatsServer();
    // The consumer is made before any worker: units of a dead worker come back after 2 s, not 30.
    link = await openNats(nats.url);
    queue = await openWorkQueue(link.nc, { ackWaitMs: 2_000, leaseTtlMs: 4_000 });
    dove = await startDovecot({ fsync: false });
    farm = await startFeedFarm({ feeds: FEEDS, entries: 2, images: 1, latencyMs: 20 });
    await writeFile(path.join(dir, "feeds.opml"), farm.opmlText);
    for (let i = 0; i < 3; i++) {
      workers.push(startClusterWorker(nats.url, { IMAP_URL: dove.url }, ["--quiet"]));
    }
  });
  after(async () => {
    await stopWorkers(workers);
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
      const before = (await storedEntryIds(dove)).length;
      const fresh = expected - before;
      farm.resetCounters();
      const run = runCliChild(["run", yamlFile, "--nats", nats.url, "--quiet"], env);
      const kill = (pid?: number) => {
        const alive = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
        const victim = alive.find((w) => w.child.pid === pid) ?? alive[randomBetween(0, alive.length - 1)];
        if (pid !== undefined && victim.child.pid === pid) holderKills++;
        victim.child.kill("SIGKILL");
        workers.splice(workers.indexOf(victim), 1);
        workers.push(startClusterWorker(nats.url, { IMAP_URL: dove.url }, ["--quiet"]));
        kills++;
      };
      // While units are in flight: after a random image request of this run.
      const images = randomBetween(1, Math.max(1, Math.floor(fresh / 2)));
      await Promise.race([farm.until((c) => c.imageRequests >= images, CLUSTER_TEST_TIMEOUT_MS), run]);
      kill();
      // After a random message is stored: the process holding the mailbox (appending) dies.
      await untilStored(dove, before + randomBetween(1, fresh - 1), run);
      kill(await mailboxHolder(queue));
      const result = await run;
      assert.equal(result.code, EXIT.OK, `round ${round}: ${result.stderr}`);
      const ids = await storedEntryIds(dove);
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
