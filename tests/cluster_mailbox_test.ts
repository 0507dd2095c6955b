/**
 * On a cluster the mailbox stays single-owner: three workers run rss2imap (the mailbox with one IMAP
 * connection) against Dovecot behind a proxy that watches APPEND commands, and never do two connections
 * append at the same moment: only the process holding the account's lease appends, the others hand their
 * messages over through NATS. One entry carries a 1.2 MB image, so its message (1.6 MB with base64) is
 * larger than a NATS message may be: it travels in chunks and arrives once, whole.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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
import { startTcpProxy, type TcpProxy } from "./support/tcp_proxy.ts";
import { startServer, type TestServer } from "./support/http_server.ts";
import { makePng } from "./support/png_image.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const skip = natsSkip() || (dovecotAvailable() || runtime.env("CI") ? false : DOVECOT_MISSING);
if (skip) console.log(`cluster mailbox suite skipped: ${skip}`);

const FEEDS = 9;
const ENTRIES = 4;
const BIG_IMAGE = makePng("big-entry", 1_200_000);

describe("cluster: one process appends to a mailbox at a time", { skip }, () => {
  let nats: RunningNats;
  let dove: RunningDovecot;
  let proxy: TcpProxy;
  let farm: FeedFarm;
  let big: TestServer;
  let dir = "";
  let workers: WorkerChild[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-cluster-mailbox-"));
    nats = await startNatsServer();
    dove = await startDovecot({ fsync: false });
    proxy = await startTcpProxy(dove.port, { watchAppends: true });
    farm = await startFeedFarm({ feeds: FEEDS, entries: ENTRIES, images: 1, latencyMs: 5 });
    big = await startServer({
      "/big.xml": (_req, res) => {
        res.writeHead(200, { "Content-Type": "application/rss+xml" });
        res.end(
          `<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title><link>${big.origin}/</link>` +
            `<item><title>A large picture</title><guid>big-1</guid><link>${big.origin}/big-1</link>` +
            `<pubDate>Mon, 07 Dec 2026 00:00:00 GMT</pubDate>` +
            `<description><![CDATA[<p>Large:</p><img src="${big.origin}/big.png">]]></description>` +
            `</item></channel></rss>`,
        );
      },
      "/big.png": (_req, res) => {
        res.writeHead(200, { "Content-Type": "image/png" });
        res.end(BIG_IMAGE);
      },
    });
    await writeFile(path.join(dir, "feeds.txt"), `${farm.feedListText.trim()}\n${big.url("/big.xml")}\n`);
    // rss2imap with one IMAP connection: one process appending means one connection appending.
    const yaml = (await readFile(path.join(repo, "pipelines", "rss2imap.yaml"), "utf8"))
      .replace("      url: ${IMAP_URL:-}", "      url: ${IMAP_URL:-}\n      connections: 1");
    assert.match(yaml, /connections: 1/);
    await writeFile(path.join(dir, "rss2imap.yaml"), yaml);
    const viaProxy = dove.url.replace(`:${dove.port}`, `:${proxy.port}`);
    workers = [0, 1, 2].map(() => startClusterWorker(nats.url, { IMAP_URL: viaProxy }));
  });
  after(async () => {
    await stopWorkers(workers);
    await farm?.close();
    await big?.close();
    await proxy?.close();
    await dove?.stop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("never two connections appending at once; the 1.6 MB message arrives once, whole", {
    timeout: CLUSTER_TEST_TIMEOUT_MS,
  }, async () => {
    const run = await runCliChild(["run", path.join(dir, "rss2imap.yaml"), "--nats", nats.url], {
      FEEDS: path.join(dir, "feeds.txt"),
      IMAP_URL: dove.url.replace(`:${dove.port}`, `:${proxy.port}`),
      STATE_DIR: path.join(dir, "state"),
    });
    const logs = run.stderr + workers.map((w) => w.log()).join("\n");
    assert.equal(run.code, EXIT.OK, logs);
    const stored = await readMaildir(dove.mailRoot);
    const ids = stored.map((s) => headerValue(parseMime(s.raw), "X-Sluice-Entry-Id"));
    assert.equal(new Set(ids).size, ids.length, "an entry was delivered twice");
    assert.equal(ids.length, FEEDS * ENTRIES + 1, logs);
    const large = stored.filter((s) => s.raw.length > 1024 * 1024);
    assert.equal(large.length, 1, "the large message");
    assert.ok(large[0].raw.length > 1.5e6, `the large message has ${large[0].raw.length} bytes`);
    assert.ok(proxy.appends.commands > 0, "APPENDs went through the proxy");
    assert.equal(proxy.appends.maxConcurrentConnections, 1, "two connections appended at once");
  });
});
