/**
 * rss2imap end to end against a second real IMAP server, Cyrus IMAP (a private instance unpacked by
 * `.ci/install_cyrus`, `support/cyrus.ts`): every entry of every format delivered once into the right
 * folder with its images inline; a second run sends conditional requests and appends nothing; an updated
 * feed delivers only its new entries. Skipped with a message when Cyrus is not unpacked here; required
 * on CI.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runPipeline, silentLogger } from "../engine/pipeline/mod.ts";
import { loadPipeline } from "../cli/load.ts";
import { cyrusSkip, type RunningCyrus, startCyrus } from "./support/cyrus.ts";
import { type FeedFarm, startFeedFarm } from "./support/feed_farm.ts";
import { allParts, headerValue, parseMime, partByCid } from "./support/mime_reader.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");

/** Every message file of the instance's spool (`N.` files), with its folder (path under the user's). */
async function readSpool(cyrus: RunningCyrus): Promise<{ folder: string; raw: Uint8Array }[]> {
  const root = path.join(cyrus.dir, "spool");
  const out: { folder: string; raw: Uint8Array }[] = [];
  for (const entry of await readdir(root, { recursive: true })) {
    const file = String(entry);
    if (!/(^|\/)\d+\.$/.test(file)) continue;
    const parts = path.dirname(file).split(path.sep);
    const at = parts.indexOf(cyrus.user);
    out.push({ folder: parts.slice(at + 1).join("/"), raw: await readFile(path.join(root, file)) });
  }
  return out;
}

describe("rss2imap against Cyrus IMAP", { skip: cyrusSkip() }, () => {
  let cyrus: RunningCyrus;
  let farm: FeedFarm;
  let dir = "";

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-rss2imap-cyrus-"));
    cyrus = await startCyrus();
    farm = await startFeedFarm({ feeds: 8, entries: 5, images: 2, latencyMs: 5 });
    await writeFile(path.join(dir, "feeds.opml"), farm.opmlText);
  });
  after(async () => {
    await farm?.close();
    await cyrus?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async () => {
    const { pipeline } = await loadPipeline(yamlFile, {
      FEEDS: path.join(dir, "feeds.opml"),
      IMAP_URL: cyrus.url,
      STATE_DIR: path.join(dir, "state"),
    });
    return await runPipeline(pipeline, { logger: silentLogger, measureLag: false });
  };

  test("first run: every entry of every format arrives once, in its folder, images inline", async () => {
    const summary = await run();
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    const stored = (await readSpool(cyrus)).map((s) => ({ ...s, mime: parseMime(s.raw) }));
    assert.equal(stored.length, 8 * 5);
    const ids = stored.map((m) => headerValue(m.mime, "X-Sluice-Entry-Id"));
    assert.equal(new Set(ids).size, stored.length, "an entry was delivered twice");
    assert.deepEqual(new Set(stored.map((m) => m.folder)), new Set(farm.feedFolders));
    for (const m of stored) {
      const html = allParts(m.mime).find((p) => p.contentType === "text/html");
      assert.ok(html, "no HTML part");
      const cids = [...new TextDecoder().decode(html.body).matchAll(/src="cid:([^"]+)"/g)].map((x) => x[1]);
      assert.equal(cids.length, 2, "both images are inline");
      for (const cid of cids) assert.match(partByCid(m.mime, cid)?.contentType ?? "", /^image\//);
    }
  });

  test("second run: conditional requests get 304s and nothing is appended", async () => {
    farm.resetCounters();
    const summary = await run();
    assert.equal(summary.ok, true);
    assert.equal(farm.counters.notModified, 8);
    assert.equal((await readSpool(cyrus)).length, 8 * 5);
  });

  test("an updated feed delivers only its new entries", async () => {
    farm.bump(2, 3);
    const summary = await run();
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    assert.equal((await readSpool(cyrus)).length, 8 * 5 + 3);
  });
});
