/**
 * rss2imap on a sluice cluster: a real nats-server with JetStream, worker processes (`cli.ts worker`),
 * and the submitting `cli.ts run --nats`, against a real Dovecot and the feed farm. Every entry arrives
 * exactly once; a second run delivers nothing; the submitter's exit status means what a local run's does.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runtime } from "../engine/runtime/mod.ts";
import { EXIT } from "../cli/exit_codes.ts";
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
  startClusterWorker,
  stopWorkers,
  storedEntryIds,
  type WorkerChild,
} from "./support/cluster_workers.ts";
import { openNats } from "../engine/nats/connection.ts";
import { openWorkQueue } from "../engine/cluster/work_queue.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");
const skip = natsSkip() || (dovecotAvailable() || runtime.env("CI") ? false : DOVECOT_MISSING);
if (skip) console.log(`cluster suite skipped: ${skip}`);

const FEEDS = 12;
const ENTRIES = 5;

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
    workers = [0, 1, 2].map(() => startClusterWorker(nats.url, { IMAP_URL: dove.url }));
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

  test("every entry arrives exactly once; the submitter's summary counts the workers' work", {
    timeout: CLUSTER_TEST_TIMEOUT_MS,
  }, async () => {
    // Every job record stored while the run lasts, read as it is written.
    const link = await openNats(nats.url);
    const queue = await openWorkQueue(link.nc);
    const records: string[] = [];
    const watch = await queue.jobs.watch();
    const watching = (async () => {
      for await (const e of watch) if (e.operation === "PUT") records.push(e.string());
    })();
    const run = await runCliChild(["run", yamlFile, "--nats", nats.url], env());
    watch.stop();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([watching, new Promise((r) => timer = setTimeout(r, 5_000))]);
    clearTimeout(timer);
    await link.release();
    assert.equal(records.length, 1, "one job record");
    const password = decodeURIComponent(new URL(dove.url).password);
    assert.ok(password.length > 0);
    assert.ok(!records[0].includes(password), "the job record holds the IMAP password");
    assert.deepEqual(JSON.parse(records[0]).secretVars, ["IMAP_URL"]);
    assert.equal(run.code, EXIT.OK, run.stderr + workers.map((w) => w.log()).join("\n"));
    if (runtime.env("DEBUG_CLUSTER")) console.log(run.stderr, workers.map((w) => w.log()).join("\n"));
    const ids = await storedEntryIds(dove);
    assert.equal(ids.length, FEEDS * ENTRIES, run.stderr);
    assert.equal(new Set(ids).size, ids.length, "an entry was delivered twice");
    assert.match(run.stderr, /running on the cluster/);
    assert.match(run.stderr, new RegExp(`mailbox\\s+\\S+\\s+in\\s+${FEEDS * ENTRIES}\\b`), run.stderr);
  });

  test("a second run fetches conditionally and delivers nothing", async () => {
    farm.resetCounters();
    const run = await runCliChild(["run", yamlFile, "--nats", nats.url], env());
    assert.equal(run.code, EXIT.OK, run.stderr);
    // The mailbox's holder committed each feed's ETag once all its entries were stored.
    assert.equal(farm.counters.notModified, FEEDS, run.stderr);
    assert.equal((await storedEntryIds(dove)).length, FEEDS * ENTRIES);
    assert.match(run.stderr, new RegExp(`fetch\\s+\\S+\\s+in\\s+${FEEDS}\\b`), run.stderr);
  });

  test("a refused IMAP login on the workers stops the run with exit 3", async () => {
    // The password is the workers' own: here one worker has a wrong one, in its --env-file.
    await stopWorkers(workers);
    const wrong = dove.url.replace(/:[^:@/]+@/, ":wrong-password@");
    await writeFile(path.join(dir, "worker.env"), `IMAP_URL=${wrong}\n`);
    workers = [
      startClusterWorker(nats.url, { IMAP_URL: undefined }, ["--env-file", path.join(dir, "worker.env")]),
    ];
    const run = await runCliChild(["run", yamlFile, "--nats", nats.url], {
      ...env(),
      STATE_DIR: path.join(dir, "state-wrong"),
    });
    assert.equal(run.code, EXIT.RUN_FAILED, run.stderr);
    assert.doesNotMatch(run.stderr, /has no IMAP_URL/, "the worker read its --env-file");
  });

  test("a worker without the secret a job needs stops the run with exit 3, naming it", async () => {
    await stopWorkers(workers);
    workers = [startClusterWorker(nats.url, { IMAP_URL: "" })];
    const run = await runCliChild(["run", yamlFile, "--nats", nats.url], {
      ...env(),
      STATE_DIR: path.join(dir, "state-no-secret"),
    });
    assert.equal(run.code, EXIT.RUN_FAILED, run.stderr);
    assert.match(run.stderr, /IMAP_URL/);
  });
});
