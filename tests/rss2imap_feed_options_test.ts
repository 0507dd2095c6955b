/**
 * rss2imap's per-feed options end to end. `thread`: every message of a threaded feed refers to the feed's
 * root Message-ID. `filter`, end to end against a real Dovecot: set per feed and per folder in the plain
 * list, in OPML and in the YAML, it keeps out the entries the expression rejects, and a filtered entry is
 * remembered as seen, so it does not arrive once the filter is gone. A filter that does not compile is
 * reported at the feed list's (or the YAML's) file:line:col before anything is fetched. `digest`: one
 * message per folder and run, and exactly once when the process is killed between the digest's append
 * and the ledger's record of it.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runPipeline, silentLogger } from "../engine/pipeline/mod.ts";
import { WorkerPool } from "../engine/kernel/mod.ts";
import { openStore } from "../engine/state/mod.ts";
import { runCliChild as cliChild } from "./support/cli_child.ts";
import { CRASH_AFTER_APPEND_CLI } from "./support/crash_after_append.ts";
import { loadPipeline } from "../cli/load.ts";
import { ConfigErrors } from "../engine/config/config_error.ts";
import { DOVECOT_MISSING, dovecotAvailable, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { type Route, startServer, type TestServer } from "./support/http_server.ts";
import { readFolder, readMaildir } from "./support/maildir_reader.ts";
import { allParts, decodeWords, headerValue, parseMime } from "./support/mime_reader.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { makePng } from "./support/png_image.ts";
import { threadRootIdFor } from "../lib/mime/compose.ts";
import { parseFeedList } from "../lib/feed/feed_list.ts";
import { compileEntryFilter, EntryFilterError, filterEntries, filterItem } from "../lib/feed/entry_filter.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const flagship = path.join(repo, "pipelines", "rss2imap.yaml");
const skip = dovecotAvailable() || runtime.env("CI") ? false : DOVECOT_MISSING;

/** An RSS feed of `items`: [title, category?] pairs. */
function rss(name: string, items: Array<[string, string?]>): string {
  const body = items.map(([title, category], i) =>
    `<item><title>${title}</title><guid>urn:${name}:${i}</guid><link>https://example.org/${name}/${i}</link>` +
    `${category ? `<category>${category}</category>` : ""}` +
    `<description>&lt;p&gt;Body of ${title}&lt;/p&gt;</description>` +
    `<pubDate>Mon, 0${i + 1} Jun 2026 10:00:00 GMT</pubDate></item>`
  ).join("");
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${name}</title>` +
    `<link>https://example.org/${name}</link>${body}</channel></rss>`;
}

const ITEMS: Array<[string, string?]> = [
  ["Post one"],
  ["Sponsored: a deal", "ads"],
  ["Post two", "rust"],
  ["Weekly ad roundup", "ads"],
];

describe("rss2imap filter against Dovecot", { skip }, () => {
  let dove: RunningDovecot;
  let server: TestServer;
  let dir = "";

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-filter-"));
    dove = await startDovecot({ fsync: false });
    const routes: Record<string, Route> = {};
    for (
      const name of [
        "plain",
        "folder",
        "opml-a",
        "opml-b",
        "yaml-a",
        "yaml-b",
        "thread-a",
        "thread-b",
        "thread-c",
        "thread-o",
        "thread-y",
      ]
    ) {
      routes[`/${name}.xml`] = (_req, res) => {
        res.setHeader("content-type", "application/rss+xml");
        res.end(rss(name, ITEMS));
      };
    }
    server = await startServer(routes);
  });
  after(async () => {
    await server?.close();
    await dove?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(file: string, env: Record<string, string>) {
    const { pipeline } = await loadPipeline(file, {
      IMAP_URL: dove.url,
      STATE_DIR: path.join(dir, "state"),
      ...env,
    });
    const summary = await runPipeline(pipeline, { logger: silentLogger, measureLag: false });
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    return summary;
  }

  async function subjects(folder: string): Promise<string[]> {
    const stored = (await readMaildir(dove.mailRoot)).filter((m) => m.folder === folder);
    return stored.map((m) => decodeWords(headerValue(parseMime(m.raw), "Subject") ?? "")).sort();
  }

  test("plain list: a feed's filter and a folder's filter keep their entries out", async () => {
    const list = path.join(dir, "feeds.txt");
    await writeFile(
      list,
      [
        "# feeds with filters",
        `${server.url("/plain.xml")} Plain filter="!item.title.includes('Sponsored')"`,
        `[Tagged] filter='!item.categories.includes("ads")'`,
        `${server.url("/folder.xml")} Tagged`,
      ].join("\n"),
    );
    await run(flagship, { FEEDS: list });
    assert.deepEqual(await subjects("Plain"), ["Post one", "Post two", "Weekly ad roundup"]);
    assert.deepEqual(await subjects("Tagged"), ["Post one", "Post two"]);

    // The filtered entries were remembered as seen: without the filters they still do not arrive.
    await writeFile(list, `${server.url("/plain.xml")} Plain\n${server.url("/folder.xml")} Tagged\n`);
    await run(flagship, { FEEDS: list });
    assert.deepEqual(await subjects("Plain"), ["Post one", "Post two", "Weekly ad roundup"]);
    assert.deepEqual(await subjects("Tagged"), ["Post one", "Post two"]);
  });

  test("OPML: a folder outline's filter holds for its feeds, a feed's own filter wins", async () => {
    const opml = path.join(dir, "feeds.opml");
    await writeFile(
      opml,
      `<?xml version="1.0"?>
<opml version="2.0"><head><title>subs</title></head><body>
  <outline text="Filtered" filter="item.content.includes('Post')">
    <outline text="a" type="rss" xmlUrl="${server.url("/opml-a.xml")}"/>
    <outline text="b" type="rss" xmlUrl="${
        server.url("/opml-b.xml")
      }" filter="item.title.startsWith('Weekly')"/>
  </outline>
</body></opml>`,
    );
    await run(flagship, { FEEDS: opml });
    const stored = await subjects("Filtered");
    assert.deepEqual(stored, ["Post one", "Post two", "Weekly ad roundup"]);
  });

  test("YAML: a feed's filter under `folders:` and a folder's under `folder-options:`", async () => {
    const yaml = (await readFile(flagship, "utf8")).replace(
      / {6}folders:\n[\s\S]*?\n {2}- use: fetch/,
      `      folders:
        YamlFeed:
          - url: ${server.url("/yaml-a.xml")}
            filter: "!item.title.includes('Sponsored') && item.date < new Date('2026-06-04')"
        YamlFolder:
          - ${server.url("/yaml-b.xml")}
      folder-options:
        YamlFolder:
          filter: "item.categories.length === 0"
  - use: fetch`,
    );
    const file = path.join(dir, "filtered.yaml");
    await writeFile(file, yaml);
    await run(file, { FEEDS: "" });
    assert.deepEqual(await subjects("YamlFeed"), ["Post one", "Post two"]);
    assert.deepEqual(await subjects("YamlFolder"), ["Post one"]);
  });
});

describe("rss2imap thread against Dovecot", { skip }, () => {
  let dove: RunningDovecot;
  let server: TestServer;
  let dir = "";

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-thread-"));
    dove = await startDovecot({ fsync: false });
    const routes: Record<string, Route> = {};
    for (const name of ["a", "b", "c", "o", "y"]) {
      routes[`/${name}.xml`] = (_req, res) => {
        res.setHeader("content-type", "application/rss+xml");
        res.end(rss(`thread-${name}`, ITEMS.slice(0, 2)));
      };
    }
    server = await startServer(routes);
  });
  after(async () => {
    await server?.close();
    await dove?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The In-Reply-To and References of every message in `folder`. */
  async function threading(folder: string): Promise<Array<[string | undefined, string | undefined]>> {
    const stored = (await readMaildir(dove.mailRoot)).filter((m) => m.folder === folder);
    assert.equal(stored.length, 2, `two messages in ${folder}`);
    return stored.map((m) => {
      const mime = parseMime(m.raw);
      return [headerValue(mime, "In-Reply-To"), headerValue(mime, "References")];
    });
  }

  test("plain list, OPML and YAML: a threaded feed's messages refer to its root; others to nothing", async () => {
    const env = { IMAP_URL: dove.url, STATE_DIR: path.join(dir, "state") };
    const list = path.join(dir, "feeds.txt");
    await writeFile(
      list,
      `${server.url("/a.xml")} ByFeed thread=true\n[ByFolder] thread="yes"\n${
        server.url("/b.xml")
      } ByFolder\n` +
        `${server.url("/c.xml")} Flat\n`,
    );
    const opml = path.join(dir, "feeds.opml");
    await writeFile(
      opml,
      `<opml version="2.0"><body><outline text="ByOpml" thread="true">` +
        `<outline text="o" xmlUrl="${server.url("/o.xml")}"/></outline></body></opml>`,
    );
    const yaml = (await readFile(flagship, "utf8")).replace(
      / {6}folders:\n[\s\S]*?\n {2}- use: fetch/,
      `      folders:
        ByYaml:
          - ${server.url("/y.xml")}
      folder-options:
        ByYaml:
          thread: true
  - use: fetch`,
    );
    const yamlFile = path.join(dir, "threaded.yaml");
    await writeFile(yamlFile, yaml);
    for (const [file, feeds] of [[flagship, list], [flagship, opml], [yamlFile, ""]]) {
      const { pipeline } = await loadPipeline(file, { ...env, FEEDS: feeds });
      const summary = await runPipeline(pipeline, { logger: silentLogger, measureLag: false });
      assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    }
    for (
      const [folder, url] of [["ByFeed", "/a.xml"], ["ByFolder", "/b.xml"], ["ByOpml", "/o.xml"], [
        "ByYaml",
        "/y.xml",
      ]]
    ) {
      const root = threadRootIdFor(server.url(url));
      assert.deepEqual(await threading(folder), [[root, root], [root, root]], folder);
    }
    assert.deepEqual(await threading("Flat"), [[undefined, undefined], [undefined, undefined]]);
  });
});

describe("rss2imap enclosures against Dovecot", { skip }, () => {
  let dove: RunningDovecot;
  let server: TestServer;
  let dir = "";
  const small = new Uint8Array(3000).map((_, i) => i % 251);
  const big = new Uint8Array(50_000).fill(7);

  /** One entry with a small enclosure (length declared) and a big one (length not declared). */
  const podcast = (name: string) =>
    `<?xml version="1.0"?><rss version="2.0"><channel><title>${name}</title><item><title>Episode</title>` +
    `<guid>urn:${name}:1</guid><description>Listen</description>` +
    `<enclosure url="${server.url("/small.mp3")}" type="audio/mpeg" length="${small.length}"/>` +
    `<enclosure url="${server.url("/big.mp3")}" type="audio/mpeg"/></item></channel></rss>`;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-enclosures-"));
    dove = await startDovecot({ fsync: false });
    const routes: Record<string, Route> = {
      "/small.mp3": (_req, res) => {
        res.setHeader("content-type", "audio/mpeg");
        res.end(small);
      },
      "/big.mp3": (_req, res) => {
        res.setHeader("content-type", "audio/mpeg");
        res.end(big);
      },
    };
    for (const name of ["link", "attach", "opml", "yaml"]) {
      routes[`/${name}.xml`] = (_req, res) => {
        res.setHeader("content-type", "application/rss+xml");
        res.end(podcast(name));
      };
    }
    server = await startServer(routes);
  });
  after(async () => {
    await server?.close();
    await dove?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function message(folder: string) {
    const stored = await readFolder(dove.mailRoot, folder);
    assert.equal(stored.length, 1, `one message in ${folder}`);
    const [{ mime, html }] = stored;
    assert.ok(html, `${folder}: a text/html part`);
    const attachments = allParts(mime).filter((p) =>
      /attachment/.test(headerValue(p, "Content-Disposition") ?? "")
    );
    return { html, attachments };
  }

  test("a link by default; attached up to the cap when asked (list, OPML, YAML)", async () => {
    const env = { IMAP_URL: dove.url, STATE_DIR: path.join(dir, "state") };
    const list = path.join(dir, "feeds.txt");
    await writeFile(
      list,
      `${server.url("/link.xml")} Linked\n${
        server.url("/attach.xml")
      } Attached enclosures=attach enclosure-max=10KB\n`,
    );
    const opml = path.join(dir, "feeds.opml");
    await writeFile(
      opml,
      `<opml version="2.0"><body><outline text="ByOpml" enclosures="attach" enclosure-max="10KB">` +
        `<outline text="o" xmlUrl="${server.url("/opml.xml")}"/></outline></body></opml>`,
    );
    const yaml = (await readFile(flagship, "utf8")).replace(
      / {6}folders:\n[\s\S]*?\n {2}- use: fetch/,
      `      folders:
        ByYaml:
          - ${server.url("/yaml.xml")}
      folder-options:
        ByYaml:
          enclosures: attach
          enclosure-max: 10KB
  - use: fetch`,
    );
    const yamlFile = path.join(dir, "enclosures.yaml");
    await writeFile(yamlFile, yaml);
    for (const [file, feeds] of [[flagship, list], [flagship, opml], [yamlFile, ""]]) {
      const { pipeline } = await loadPipeline(file, { ...env, FEEDS: feeds });
      const summary = await runPipeline(pipeline, { logger: silentLogger, measureLag: false });
      assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    }
    const linked = await message("Linked");
    assert.equal(linked.attachments.length, 0);
    assert.match(linked.html, /href="[^"]*\/small\.mp3"[^]*href="[^"]*\/big\.mp3"/);
    for (const folder of ["Attached", "ByOpml", "ByYaml"]) {
      const { html, attachments } = await message(folder);
      assert.equal(attachments.length, 1, `${folder}: the small enclosure is attached`);
      assert.equal(attachments[0].contentType, "audio/mpeg");
      assert.deepEqual(attachments[0].body, small);
      assert.match(headerValue(attachments[0], "Content-Disposition") ?? "", /small\.mp3/);
      assert.match(html, /big\.mp3/, `${folder}: the big one (over the cap) stays a link`);
      assert.doesNotMatch(html, /small\.mp3/);
    }
  });
});

describe("rss2imap digest against Dovecot", { skip }, () => {
  let dove: RunningDovecot;
  let server: TestServer;
  // One pool for the test's twelve runs: a run without one starts its own workers, which under Deno on a
  // loaded machine takes seconds each time (the test then outran its 120 s).
  let pool: WorkerPool;
  let dir = "";
  let count = 2;
  const png = makePng("digest", 2000);

  /** `count` entries, each with an image. */
  const feed = (name: string) => {
    const items = Array.from(
      { length: count },
      (_, i) =>
        `<item><title>${name} entry ${i}</title><guid>urn:${name}:${i}</guid>` +
        `<link>https://example.org/${name}/${i}</link><pubDate>Mon, 0${
          i + 1
        } Jun 2026 10:00:00 GMT</pubDate>` +
        `<description>&lt;p&gt;Text ${i} &lt;img src="${
          server.url(`/img${i}.png`)
        }"&gt;&lt;/p&gt;</description></item>`,
    ).join("");
    return `<?xml version="1.0"?><rss version="2.0"><channel><title>${name}</title>${items}</channel></rss>`;
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-digest-"));
    pool = new WorkerPool({ size: 1 });
    dove = await startDovecot({ fsync: false });
    const routes: Record<string, Route> = {};
    for (let i = 0; i < 8; i++) {
      routes[`/img${i}.png`] = (_req, res) => {
        res.setHeader("content-type", "image/png");
        res.end(png);
      };
    }
    for (const name of ["d-list", "d-opml", "d-yaml", "plain"]) {
      routes[`/${name}.xml`] = (_req, res) => {
        res.setHeader("content-type", "application/rss+xml");
        res.end(feed(name));
      };
    }
    server = await startServer(routes);
  });
  after(async () => {
    await pool?.close();
    await server?.close();
    await dove?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const messages = (folder: string) => readFolder(dove.mailRoot, folder);

  test("one message per run lists the new entries with their images; nothing is marked before it is stored", async () => {
    const state = path.join(dir, "state");
    const list = path.join(dir, "feeds.txt");
    await writeFile(
      list,
      `${server.url("/d-list.xml")} DigestList digest=true\n${server.url("/plain.xml")} NoDigest\n`,
    );
    const opml = path.join(dir, "feeds.opml");
    await writeFile(
      opml,
      `<opml version="2.0"><body><outline text="DigestOpml" digest="true">` +
        `<outline text="d-opml" xmlUrl="${server.url("/d-opml.xml")}"/></outline></body></opml>`,
    );
    const yaml = (await readFile(flagship, "utf8")).replace(
      / {6}folders:\n[\s\S]*?\n {2}- use: fetch/,
      `      folders:
        DigestYaml:
          - url: ${server.url("/d-yaml.xml")}
            digest: true
  - use: fetch`,
    );
    const yamlFile = path.join(dir, "digest.yaml");
    await writeFile(yamlFile, yaml);
    const runs: Array<[string, string]> = [[flagship, list], [flagship, opml], [yamlFile, ""]];
    const runAll = async (imapUrl: string) => {
      const results = [];
      for (const [file, feeds] of runs) {
        const { pipeline } = await loadPipeline(file, { IMAP_URL: imapUrl, STATE_DIR: state, FEEDS: feeds });
        results.push(await runPipeline(pipeline, { logger: silentLogger, measureLag: false, pool }));
      }
      return results;
    };

    // The mailbox refuses the login: no digest is stored, so none of its entries may count as delivered.
    const refused = await runAll(dove.url.replace(/:[^:@/]*@/, ":wrong@"));
    assert.ok(refused.every((s) => !s.ok));
    assert.equal((await readMaildir(dove.mailRoot)).length, 0);

    for (const summary of await runAll(dove.url)) {
      assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    }
    for (
      const [folder, name] of [["DigestList", "d-list"], ["DigestOpml", "d-opml"], ["DigestYaml", "d-yaml"]]
    ) {
      const digests = await messages(folder);
      assert.equal(digests.length, 1, `${folder}: one digest`);
      assert.equal(digests[0].subject, `${name}: 2 new entries`);
      assert.match(digests[0].html, new RegExp(`${name} entry 0[^]*${name} entry 1`));
      assert.equal(digests[0].images.length, 2, `${folder}: both entries' images inline`);
    }
    assert.equal((await messages("NoDigest")).length, 2, "a feed without digest: one message an entry");

    // Next run: two more entries; the digest lists only them.
    count = 4;
    for (const summary of await runAll(dove.url)) assert.equal(summary.ok, true);
    const second = (await messages("DigestList")).map((m) => m.subject).sort();
    assert.deepEqual(second, ["d-list: 2 new entries", "d-list: 2 new entries"]);
    const latest = (await messages("DigestList")).find((m) => m.html.includes("d-list entry 3"));
    assert.ok(latest);
    assert.doesNotMatch(latest.html, /d-list entry 0/);
    // And a run with nothing new sends nothing.
    for (const summary of await runAll(dove.url)) assert.equal(summary.ok, true);
    assert.equal((await messages("DigestList")).length, 2);
  });
});

describe("rss2imap digest per folder, and across a crash", { skip }, () => {
  let dove: RunningDovecot;
  let server: TestServer;
  let pool: WorkerPool; // one for all runs, as in the suite above
  let dir = "";
  let count = 2;

  const feed = (name: string) =>
    `<?xml version="1.0"?><rss version="2.0"><channel><title>${name}</title>` +
    Array.from(
      { length: count },
      (_, i) =>
        `<item><title>${name} entry ${i}</title><guid>urn:${name}:${i}</guid>` +
        `<link>https://example.org/${name}/${i}</link><pubDate>Mon, 0${i + 1} Jun 2026 1${
          name === "f-two" ? 1 : 0
        }:00:00 GMT</pubDate><description>Text of ${name} ${i}</description></item>`,
    ).join("") + `</channel></rss>`;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-digest-folder-"));
    pool = new WorkerPool({ size: 1 });
    dove = await startDovecot({ fsync: false });
    const routes: Record<string, Route> = {};
    for (const name of ["f-one", "f-two", "f-own", "c-one", "c-two"]) {
      routes[`/${name}.xml`] = (_req, res) => {
        res.setHeader("content-type", "application/rss+xml");
        res.end(feed(name));
      };
    }
    server = await startServer(routes);
  });
  after(async () => {
    await pool?.close();
    await server?.close();
    await dove?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function stored(folder: string) {
    return (await readFolder(dove.mailRoot, folder)).map((m) => ({
      ...m,
      id: headerValue(m.mime, "Message-ID") ?? "",
    }));
  }

  test("a folder set to digest gets one message per run listing all its feeds' new entries", async () => {
    const list = path.join(dir, "feeds.txt");
    await writeFile(
      list,
      `[Daily] digest=true\n${server.url("/f-one.xml")} Daily\n${server.url("/f-two.xml")} Daily\n` +
        `${server.url("/f-own.xml")} Own digest=true\n`,
    );
    const env = { IMAP_URL: dove.url, STATE_DIR: path.join(dir, "state"), FEEDS: list };
    const run = async () => {
      const summary = await runPipeline((await loadPipeline(flagship, env)).pipeline, {
        logger: silentLogger,
        measureLag: false,
        pool,
      });
      assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    };
    await run();
    const daily = await stored("Daily");
    assert.equal(daily.length, 1, "one digest for the folder's two feeds");
    assert.equal(daily[0].subject, "Daily: 4 new entries");
    // Oldest first across the feeds, each entry named with its feed.
    assert.match(daily[0].html, /f-one entry 0[^]*f-two entry 0[^]*f-one entry 1[^]*f-two entry 1/);
    assert.match(daily[0].html, /f-two · /);
    assert.deepEqual((await stored("Own")).map((m) => m.subject), ["f-own: 2 new entries"]);

    count = 3; // one more entry in each feed: the next digest lists only those two
    await run();
    const second = (await stored("Daily")).find((m) => m.subject === "Daily: 2 new entries");
    assert.ok(second);
    assert.match(second.html, /f-one entry 2[^]*f-two entry 2/);
    assert.doesNotMatch(second.html, /entry 1/);
    await run(); // nothing new: no digest
    assert.equal((await stored("Daily")).length, 2);
    count = 2;
  });

  test("killed after the digest's append, before the ledger: the next run sends it once and loses nothing", async () => {
    const list = path.join(dir, "crash.txt");
    await writeFile(
      list,
      `[Crash] digest=true\n${server.url("/c-one.xml")} Crash\n${server.url("/c-two.xml")} Crash\n`,
    );
    const state = path.join(dir, "crash-state");
    const env = { IMAP_URL: dove.url, STATE_DIR: state, FEEDS: list };
    const crashed = await cliChild([flagship, "--quiet"], { ...env, CRASH_AFTER_BATCHES: "1" }, {
      entry: CRASH_AFTER_APPEND_CLI,
    });
    assert.equal(crashed.code, 137, crashed.stderr);
    const afterCrash = await stored("Crash");
    assert.equal(afterCrash.length, 1, "the digest was stored before the process died");

    const again = await runPipeline((await loadPipeline(flagship, env)).pipeline, {
      logger: silentLogger,
      measureLag: false,
      pool,
    });
    assert.equal(again.ok, true, JSON.stringify(again.failures));
    const final = await stored("Crash");
    assert.equal(final.length, 1, "the digest is not sent twice");
    assert.equal(final[0].id, afterCrash[0].id);
    // Its entries are recorded as delivered: a feed with one more entry gets a digest of that one only.
    const store = await openStore(state);
    try {
      for (const name of ["c-one", "c-two"]) {
        for (const i of [0, 1]) {
          assert.equal(await store.isDelivered(server.url(`/${name}.xml`), `urn:${name}:${i}`), true);
        }
      }
      assert.deepEqual(await store.listSending(), [], "no message left in doubt");
    } finally {
      await store.close();
    }
    count = 3;
    const third = await runPipeline((await loadPipeline(flagship, env)).pipeline, {
      logger: silentLogger,
      measureLag: false,
      pool,
    });
    count = 2;
    assert.equal(third.ok, true);
    const subjects = (await stored("Crash")).map((m) => m.subject).sort();
    assert.deepEqual(subjects, ["Crash: 2 new entries", "Crash: 4 new entries"]);
  });
});

describe("rss2imap filter mistakes", () => {
  test("a plain list's filter that does not compile names file:line:col", () => {
    const text = '# x\nhttps://example.org/feed.xml News filter="item.title.includes("\n';
    assert.throws(() => parseFeedList(text, "feeds.txt"), (e: unknown) => {
      assert.ok(e instanceof EntryFilterError);
      assert.match(
        e.message,
        /^feeds\.txt:2:43: filter `item\.title\.includes\(` is not a JavaScript expression/,
      );
      assert.match(e.hint ?? "", /item/);
      return true;
    });
  });

  test("an OPML filter attribute that does not compile names file:line:col", () => {
    const text = `<opml version="2.0"><body>
  <outline text="A" filter="true"><outline xmlUrl="https://example.org/a.xml"/></outline>
    <outline text="B" xmlUrl="https://example.org/b.xml" filter="item.title ==="/>
</body></opml>`;
    assert.throws(() => parseFeedList(text, "feeds.opml"), (e: unknown) => {
      assert.ok(e instanceof EntryFilterError);
      assert.match(e.message, /^feeds\.opml:3:66: filter `item\.title ===` is not a JavaScript expression/);
      return true;
    });
  });

  test("a thread value that is not a boolean names file:line:col", () => {
    assert.throws(
      () => parseFeedList("https://example.org/feed.xml News thread=maybe\n", "feeds.txt"),
      /^FeedOptionError: feeds\.txt:1:42: `thread` must be true or false|feeds\.txt:1:42: `thread` must be true or false/,
    );
  });

  test("enclosures and enclosure-max values that are not one name file:line:col", () => {
    assert.throws(
      () => parseFeedList("https://example.org/feed.xml P enclosures=inline\n", "feeds.txt"),
      /feeds\.txt:1:43: `enclosures` must be link or attach/,
    );
    assert.throws(
      () => parseFeedList("https://example.org/feed.xml P enclosure-max=huge\n", "feeds.txt"),
      /feeds\.txt:1:46: `enclosure-max` must be a size/,
    );
  });

  test("a YAML folder-options filter that does not compile is a config error at its position", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-filter-yaml-"));
    try {
      const yaml = (await readFile(flagship, "utf8")).replace(
        "      folders:\n",
        '      folder-options:\n        News:\n          filter: "item.title.("\n      folders:\n',
      );
      const file = path.join(dir, "bad.yaml");
      await writeFile(file, yaml);
      await assert.rejects(loadPipeline(file, {}), (e: unknown) => {
        assert.ok(e instanceof ConfigErrors);
        const line = yaml.split("\n").findIndex((l) => l.includes("item.title.(")) + 1;
        assert.match(e.format(), new RegExp(`bad\\.yaml:${line}:19: .*not a JavaScript expression`));
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("`digest: true` in the YAML without a `digest` stage: `check` fails at the option, naming the fix", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-digest-yaml-"));
    try {
      const withDigest = (await readFile(flagship, "utf8")).replace(
        "      folders:\n        Deno:\n          - https://deno.com/feed\n",
        "      folder-options:\n        News:\n          digest: true\n" +
          "      folders:\n        Deno:\n          - url: https://deno.com/feed\n            digest: true\n",
      );
      const withoutStage = withDigest.replace(/^ {2}- use: digest.*\n/m, "");
      assert.notEqual(withoutStage, withDigest);
      const good = path.join(dir, "good.yaml");
      const bad = path.join(dir, "bad.yaml");
      await writeFile(good, withDigest);
      await writeFile(bad, withoutStage);
      await loadPipeline(good, {}); // with the stage: valid
      const lines = withoutStage.split("\n");
      const folderLine = lines.findIndex((l) => l === "          digest: true") + 1;
      const feedLine = lines.findIndex((l) => l === "            digest: true") + 1;
      const checked = await cliChild(["check", bad], {});
      assert.equal(checked.code, 1, checked.stderr);
      const expected: Array<[number, number, string]> = [
        [folderLine, 19, "for folder `News`"],
        [feedLine, 21, "for feed 1 of folder `Deno`"],
      ];
      for (const [line, col, what] of expected) {
        assert.match(
          checked.stderr,
          new RegExp(
            `bad\\.yaml:${line}:${col}: stage \`feeds\`: \`digest: true\` ${what} has no effect: ` +
              "the pipeline has no `digest` stage to honour it",
          ),
        );
      }
      assert.match(checked.stderr, /add `- use: digest` after `dedupe`/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("entry filters", () => {
  test("an expression that throws keeps the entry and reports it; content is plain text", () => {
    const errors: unknown[] = [];
    const { kept, skipped } = filterEntries(
      [
        { id: "1", title: "a", html: "<p>Buy <b>now</b></p>", enclosures: [] },
        { id: "2", title: "b", summary: "fine", enclosures: [] },
        { id: "3", title: "c", enclosures: [] },
      ],
      "item.content === 'Buy now' ? false : item.content === '' ? item.nothing.there : true",
      (e) => errors.push(e),
    );
    assert.deepEqual(kept.map((e) => e.id), ["2", "3"]);
    assert.deepEqual(skipped.map((e) => e.id), ["1"]);
    assert.equal(errors.length, 1);
  });

  test("the same expression compiles once", () => {
    assert.equal(compileEntryFilter("item.id !== 'x'", "a"), compileEntryFilter("item.id !== 'x'", "b"));
    assert.equal(
      filterItem({ id: "1", published: "2026-06-01T00:00:00.000Z", enclosures: [] }).date?.getTime(),
      Date.parse("2026-06-01"),
    );
  });
});
