/**
 * rss2imap end to end, against a real Dovecot started by the tests and the project's own feed farm:
 * every entry of every format delivered once into the right folder with its images inline; a second
 * run sends conditional requests and appends nothing; an updated feed delivers only its new entries; a
 * broken feed fails alone; the Maildir default works with no server; a dry run sends nothing.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runPipeline, silentLogger } from "../engine/pipeline/mod.ts";
import { loadPipeline } from "../cli/load.ts";
import { exitCodeOf } from "../cli/run_command.ts";
import { EXIT } from "../cli/exit_codes.ts";
import { DOVECOT_MISSING, dovecotAvailable, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { type FeedFarm, startFeedFarm } from "./support/feed_farm.ts";
import { readMaildir, type StoredMessage } from "./support/maildir_reader.ts";
import { allParts, headerValue, parseMime, partByCid } from "./support/mime_reader.ts";
import { runtime } from "../engine/runtime/mod.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");
const skip = dovecotAvailable() || runtime.env("CI") ? false : DOVECOT_MISSING;

let dove: RunningDovecot;
let farm: FeedFarm;
let dir = "";

async function runRss2imap(env: Record<string, string>, extra: { dryRun?: string } = {}) {
  const { pipeline } = await loadPipeline(yamlFile, { ...env });
  return await runPipeline(pipeline, { logger: silentLogger, measureLag: false, ...extra });
}

function messagesOf(stored: StoredMessage[]) {
  return stored.map((s) => ({ ...s, mime: parseMime(s.raw) }));
}

describe("rss2imap against Dovecot", { skip }, () => {
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-rss2imap-"));
    dove = await startDovecot({ fsync: false });
    farm = await startFeedFarm({ feeds: 8, entries: 5, images: 2, latencyMs: 5 });
    await writeFile(path.join(dir, "feeds.opml"), farm.opmlText);
  });
  after(async () => {
    await farm?.close();
    await dove?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const env = () => ({
    FEEDS: path.join(dir, "feeds.opml"),
    IMAP_URL: dove.url,
    STATE_DIR: path.join(dir, "state"),
  });

  test("first run: every entry of every format arrives once, in its folder, images inline", async () => {
    const summary = await runRss2imap(env());
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    const stored = messagesOf(await readMaildir(dove.mailRoot));
    assert.equal(stored.length, 8 * 5);
    const ids = stored.map((m) => headerValue(m.mime, "X-Sluice-Entry-Id"));
    assert.equal(new Set(ids).size, stored.length, "an entry was delivered twice");
    const wanted = new Set(farm.feedFolders.map((f) => f.replaceAll("/", ".")));
    assert.deepEqual(new Set(stored.map((m) => m.folder)), wanted);
    for (const m of stored) {
      const html = allParts(m.mime).find((p) => p.contentType === "text/html");
      assert.ok(html, "no HTML part");
      const cids = [...new TextDecoder().decode(html.body).matchAll(/src="cid:([^"]+)"/g)].map((x) => x[1]);
      assert.equal(cids.length, 2, "both images are inline");
      for (const cid of cids) {
        const part = partByCid(m.mime, cid);
        assert.ok(part, `cid ${cid} does not resolve`);
        assert.match(part.contentType, /^image\//);
        assert.ok(part.body.byteLength > 100);
      }
    }
    assert.ok(new Set(farm.feedFormats).size >= 4, "the farm serves every format");
  });

  test("second run: conditional requests get 304s and nothing is appended", async () => {
    farm.resetCounters();
    const before = (await readMaildir(dove.mailRoot)).length;
    const summary = await runRss2imap(env());
    assert.equal(summary.ok, true);
    assert.equal(farm.counters.notModified, 8);
    assert.equal(farm.counters.imageRequests, 0);
    assert.equal((await readMaildir(dove.mailRoot)).length, before);
  });

  test("an updated feed delivers only its new entries", async () => {
    const before = (await readMaildir(dove.mailRoot)).length;
    farm.bump(2, 3);
    const summary = await runRss2imap(env());
    assert.equal(summary.ok, true);
    assert.equal((await readMaildir(dove.mailRoot)).length, before + 3);
  });

  test("a dry run writes .eml files and sends and records nothing", async () => {
    const out = path.join(dir, "dry");
    const state = path.join(dir, "dry-state");
    const before = (await readMaildir(dove.mailRoot)).length;
    const summary = await runRss2imap({ ...env(), STATE_DIR: state }, { dryRun: out });
    assert.equal(summary.ok, true);
    assert.equal((await readMaildir(dove.mailRoot)).length, before, "the dry run appended to IMAP");
    const emls = (await readdir(out, { recursive: true })).filter((f) => String(f).endsWith(".eml"));
    assert.equal(emls.length, 8 * 5 + 3);
  });
});

describe("rss2imap with broken feeds", { skip }, () => {
  let bad: FeedFarm;
  let mail = "";
  before(async () => {
    bad = await startFeedFarm({
      feeds: 5,
      entries: 3,
      images: 1,
      latencyMs: 1,
      formats: ["rss"],
      failing: [{ feed: 1, mode: "malformed" }, { feed: 2, mode: "html" }, { feed: 3, mode: "500" }],
    });
    mail = await mkdtemp(path.join(tmpdir(), "sluice-maildir-"));
    await writeFile(path.join(mail, "feeds.txt"), bad.feedListText);
  });
  after(async () => {
    await bad?.close();
    await rm(mail, { recursive: true, force: true });
  });

  test("each broken feed fails alone with its URL and reason; a truncated one is recovered; the others arrive", async () => {
    const summary = await runRss2imap({
      FEEDS: path.join(mail, "feeds.txt"),
      MAILDIR: path.join(mail, "Maildir"),
      STATE_DIR: path.join(mail, "state"),
    });
    assert.equal(exitCodeOf(summary), EXIT.ITEMS_FAILED);
    const failed = summary.failures.map((f) => f.item ?? "");
    for (const i of [2, 3]) {
      assert.ok(failed.some((u) => u.includes(bad.feedUrls[i])), `feed ${i} not reported`);
    }
    // The truncated feed is not a failure: the entries read before the damage are delivered (issue 18).
    assert.equal(summary.failures.length, 2, JSON.stringify(summary.failures));
    const recovered = summary.metrics.stages.reduce((n, s) => n + (s.counters.recovered ?? 0), 0);
    assert.equal(recovered, 1, "the truncated feed was not counted as recovered");
    const stored = await readMaildir(path.join(mail, "Maildir"));
    const feedOf = (m: (typeof stored)[number]) => headerValue(parseMime(m.raw), "X-Sluice-Feed") ?? "";
    assert.equal(stored.filter((m) => feedOf(m) !== bad.feedUrls[1]).length, 2 * 3);
    assert.ok(stored.length < 3 * 3, "a truncated feed delivered an entry cut off by the damage");
  });
});
