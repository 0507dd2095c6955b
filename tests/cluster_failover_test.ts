/**
 * A sluice cluster on a 3-node NATS cluster (routes on loopback; the work queue, the reports, the job,
 * lease and state buckets kept in three copies because `--nats` lists three servers): stopping one node
 * while rss2imap runs over two workers loses nothing and delivers nothing twice. With CLUSTER_VERBOSE=1
 * the workers log at debug level (which process held which mailbox when), shown when the test fails.
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
import { readMaildir } from "./support/maildir_reader.ts";
import { headerValue, parseMime } from "./support/mime_reader.ts";
import {
  CLUSTER_TEST_TIMEOUT_MS,
  natsSkip,
  type RunningNats,
  startNatsServer,
} from "./support/nats_server.ts";
import { runCliChild } from "./support/cli_child.ts";
import { startClusterWorker, stopWorkers, type WorkerChild } from "./support/cluster_workers.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");
const skip = natsSkip() || (dovecotAvailable() || runtime.env("CI") ? false : DOVECOT_MISSING);
if (skip) console.log(`cluster failover suite skipped: ${skip}`);

const FEEDS = 12;
const ENTRIES = 4;

describe("cluster: one of three NATS nodes stops mid-run", { skip }, () => {
  let nats: RunningNats;
  let dove: RunningDovecot;
  let farm: FeedFarm;
  let dir = "";
  let workers: WorkerChild[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-cluster-failover-"));
    nats = await startNatsServer({ nodes: 3 });
    dove = await startDovecot({ fsync: false });
    farm = await startFeedFarm({ feeds: FEEDS, entries: ENTRIES, images: 1, latencyMs: 30 });
    await writeFile(path.join(dir, "feeds.opml"), farm.opmlText);
    workers = [
      startClusterWorker(nats.url, { IMAP_URL: dove.url }),
      startClusterWorker(nats.url, { IMAP_URL: dove.url }),
    ];
  });
  after(async () => {
    await stopWorkers(workers);
    await farm?.close();
    await dove?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("every entry arrives exactly once", { timeout: CLUSTER_TEST_TIMEOUT_MS }, async () => {
    const env = {
      FEEDS: path.join(dir, "feeds.opml"),
      IMAP_URL: dove.url,
      STATE_DIR: path.join(dir, "state"),
    };
    const run = runCliChild(["run", yamlFile, "--nats", nats.url], env);
    // Mid-run: once a third of the images were asked for.
    await Promise.race([
      farm.until((c) => c.imageRequests >= (FEEDS * ENTRIES) / 3, CLUSTER_TEST_TIMEOUT_MS),
      run,
    ]);
    await nats.nodes[0].stop();
    if (runtime.env("DEBUG_CLUSTER")) {
      const show = setInterval(
        () => console.log(workers.map((w) => w.log().slice(-600)).join("\n---\n")),
        60_000,
      );
      void run.finally(() => clearInterval(show));
    }
    const result = await run;
    const logs = result.stderr + workers.map((w) => w.log()).join("\n");
    assert.equal(result.code, EXIT.OK, logs);
    const stored = await readMaildir(dove.mailRoot);
    const ids = stored.map((s) => headerValue(parseMime(s.raw), "X-Sluice-Entry-Id"));
    assert.equal(new Set(ids).size, ids.length, `an entry was delivered twice\n${logs}`);
    assert.equal(ids.length, FEEDS * ENTRIES, logs);
  });
});
