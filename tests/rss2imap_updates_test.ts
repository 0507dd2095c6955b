/**
 * rss2imap's `on-update` end to end, against a real Dovecot (with UIDPLUS, and hiding it) and a Maildir:
 * when an entry already delivered changes (its title or content, not only its date), `replace` leaves one
 * message of it, the new version, with the old one's flags and keywords; `new` sends it again as a new
 * message marked as an update; `ignore` (the default) sends nothing. Killed between the append of the new
 * version and the removal of the old one, or after both and before the record, the next run ends with
 * exactly one current message.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runPipeline, type RunSummary, silentLogger } from "../engine/pipeline/mod.ts";
import { openStore } from "../engine/state/mod.ts";
import { loadPipeline } from "../cli/load.ts";
import { ImapClient } from "../lib/imap/client.ts";
import { ImapUploader } from "../lib/imap/uploader.ts";
import { MaildirWriter } from "../lib/maildir/writer.ts";
import { entryContentHash } from "../lib/feed/entry_content_hash.ts";
import { readFeedOptions } from "../lib/feed/feed_options.ts";
import { parseFeedList } from "../lib/feed/feed_list.ts";
import type { MailMessage } from "../lib/mime/types.ts";
import { EntryVersionBook } from "../stages/entry_versions.ts";
import { DOVECOT_MISSING, dovecotAvailable, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { type Route, startServer, type TestServer } from "./support/http_server.ts";
import { readMaildir } from "./support/maildir_reader.ts";
import { decodeWords, headerValue, parseMime } from "./support/mime_reader.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { runCliChild } from "./support/cli_child.ts";
import { CRASH_AFTER_APPEND_CLI } from "./support/crash_after_append.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const flagship = path.join(repo, "pipelines", "rss2imap.yaml");
const skip = dovecotAvailable() || runtime.env("CI") ? false : DOVECOT_MISSING;
const NAMES = ["rep", "rep-crash", "rep-crash2", "newmode", "ignored", "yaml", "md"];

interface Item {
  title: string;
  body: string;
  day: number;
}

/** The feeds the server answers with, by name; a test changes them between runs. */
const feeds = new Map<string, Item[]>();

function rss(name: string, items: Item[]): string {
  const body = items.map((it, i) =>
    `<item><title>${it.title}</title><guid>urn:${name}:${i}</guid><link>https://example.org/${name}/${i}</link>` +
    `<description>&lt;p&gt;${it.body}&lt;/p&gt;</description>` +
    `<pubDate>Mon, ${String(it.day).padStart(2, "0")} Jun 2026 10:00:00 GMT</pubDate></item>`
  ).join("");
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${name}</title>` +
    `<link>https://example.org/${name}</link>${body}</channel></rss>`;
}

const twoItems = (): Item[] => [{ title: "A one", body: "first text", day: 1 }, {
  title: "B one",
  body: "b text",
  day: 2,
}];

function counter(summary: RunSummary, name: string): number {
  return summary.metrics.stages.reduce((n, s) => n + (s.counters[name] ?? 0), 0);
}

/** Every message of an entry in an IMAP folder: UID, flags, subject. */
async function imapCopies(dove: RunningDovecot, folder: string, entryId: string) {
  const client = await ImapClient.connect(dove.url);
  try {
    const uids = await client.searchHeader(folder, "X-Sluice-Entry-Id", entryId);
    const found = await client.flagsAndHeaders(folder, uids, ["Subject", "X-Sluice-Entry-Id"]);
    // Oldest first, by UID: the order of SEARCH and FETCH answers is the server's to choose.
    return found.filter((m) => m.headers["x-sluice-entry-id"] === entryId).sort((a, b) => a.uid - b.uid).map((
      m,
    ) => ({
      uid: m.uid,
      flags: m.flags.filter((f) => f !== "\\Recent").sort(),
      subject: decodeWords(m.headers.subject ?? ""),
    }));
  } finally {
    await client.logout();
  }
}

async function flagMessage(dove: RunningDovecot, folder: string, uid: number, flags: string[]) {
  const client = await ImapClient.connect(dove.url);
  try {
    await client.addFlags(folder, [uid], flags);
  } finally {
    await client.logout();
  }
}

const KEPT_FLAGS = ["$Important", "\\Flagged", "\\Seen"];

describe("rss2imap on-update against Dovecot", { skip }, () => {
  let dove: RunningDovecot;
  let bare: RunningDovecot; // no UIDPLUS announced: no APPENDUID, no UID EXPUNGE
  let server: TestServer;
  let dir = "";

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-updates-"));
    [dove, bare] = await Promise.all([
      startDovecot({ fsync: false }),
      startDovecot({ fsync: false, hideCapabilities: ["UIDPLUS"] }),
    ]);
    const routes: Record<string, Route> = {};
    for (const name of NAMES) {
      routes[`/${name}.xml`] = (_req, res) => {
        res.setHeader("content-type", "application/rss+xml");
        res.end(rss(name, feeds.get(name) ?? []));
      };
    }
    server = await startServer(routes);
  });
  after(async () => {
    await server?.close();
    await Promise.all([dove?.stop(), bare?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  /** Env of a run: the feed `name` into folder `folder` with the list line's options. */
  async function envFor(name: string, options: string, imap: RunningDovecot, tag: string) {
    const list = path.join(dir, `${name}-${tag}.txt`);
    await writeFile(list, `${server.url(`/${name}.xml`)} ${folderOf(name)} ${options}\n`);
    return { FEEDS: list, IMAP_URL: imap.url, STATE_DIR: path.join(dir, `state-${name}-${tag}`) };
  }

  async function run(env: Record<string, string>, file = flagship): Promise<RunSummary> {
    const { pipeline } = await loadPipeline(file, env);
    const summary = await runPipeline(pipeline, { logger: silentLogger, measureLag: false });
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    return summary;
  }

  for (const caps of ["UIDPLUS", "no UIDPLUS"] as const) {
    test(`replace (${caps}): one message, the new version, with the old one's flags and keywords`, async () => {
      const imap = caps === "UIDPLUS" ? dove : bare;
      const name = "rep";
      feeds.set(name, twoItems());
      const env = await envFor(name, `on-update="replace"`, imap, caps);
      await run(env);
      const [first] = await imapCopies(imap, "Rep", "urn:rep:0");
      const [b] = await imapCopies(imap, "Rep", "urn:rep:1");
      await flagMessage(imap, "Rep", first.uid, KEPT_FLAGS);

      // A's title and content change; B's date only.
      feeds.set(name, [{ title: "A two", body: "second text", day: 1 }, {
        title: "B one",
        body: "b text",
        day: 9,
      }]);
      const summary = await run(env);
      assert.equal(counter(summary, "replaced"), 1);
      assert.equal(counter(summary, "updatedEntries"), 1);
      const copies = await imapCopies(imap, "Rep", "urn:rep:0");
      assert.equal(copies.length, 1, JSON.stringify(copies));
      assert.equal(copies[0].subject, "A two");
      assert.deepEqual(copies[0].flags, KEPT_FLAGS);
      assert.deepEqual(
        await imapCopies(imap, "Rep", "urn:rep:1"),
        [b],
        "B untouched (only its date changed)",
      );

      // The state knows the new version (and its UID where the server told).
      const store = await openStore(env.STATE_DIR);
      try {
        const versions = await new EntryVersionBook(store).read(server.url(`/${name}.xml`));
        assert.equal(
          versions["urn:rep:0"].hash,
          entryContentHash({ id: "", title: "A two", summary: "<p>second text</p>", enclosures: [] }),
        );
        assert.equal(versions["urn:rep:0"].uid, caps === "UIDPLUS" ? copies[0].uid : undefined);
        assert.deepEqual(await store.listSending(), []);
      } finally {
        await store.close();
      }

      // Nothing changed since: nothing happens. Then A changes again: replaced again, flags still kept.
      assert.equal(counter(await run(env), "replaced"), 0);
      feeds.set(name, [{ title: "A three", body: "third", day: 1 }, {
        title: "B one",
        body: "b text",
        day: 9,
      }]);
      assert.equal(counter(await run(env), "replaced"), 1);
      const third = await imapCopies(imap, "Rep", "urn:rep:0");
      assert.deepEqual(third.map((c) => [c.subject, c.flags]), [["A three", KEPT_FLAGS]]);
    });

    test(`replace (${caps}): killed after the append, before the old message is removed`, async () => {
      const imap = caps === "UIDPLUS" ? dove : bare;
      const name = "rep-crash";
      feeds.set(name, twoItems());
      const env = await envFor(name, `on-update="replace"`, imap, caps);
      await run(env);
      const [first] = await imapCopies(imap, "Rep-crash", "urn:rep-crash:0");
      await flagMessage(imap, "Rep-crash", first.uid, KEPT_FLAGS);
      feeds.set(name, [{ title: "A two", body: "second text", day: 1 }, twoItems()[1]]);

      const crashed = await runCliChild([flagship, "--quiet"], { ...env, CRASH_AFTER_BATCHES: "1" }, {
        entry: CRASH_AFTER_APPEND_CLI,
      });
      assert.equal(crashed.code, 137, crashed.stderr);
      const halfway = await imapCopies(imap, "Rep-crash", "urn:rep-crash:0");
      assert.deepEqual(halfway.map((c) => c.subject).sort(), ["A one", "A two"], "both versions are there");

      const again = await run(env);
      assert.equal(counter(again, "appended") + counter(again, "replaced"), 0, "not appended twice");
      assert.equal(counter(again, "foundInDoubt"), 1);
      const copies = await imapCopies(imap, "Rep-crash", "urn:rep-crash:0");
      assert.deepEqual(copies.map((c) => [c.subject, c.flags]), [["A two", KEPT_FLAGS]]);
      const store = await openStore(env.STATE_DIR);
      try {
        assert.deepEqual(await store.listSending(), []);
      } finally {
        await store.close();
      }
    });

    test(`replace (${caps}): killed after the replacement, before it is recorded`, async () => {
      const imap = caps === "UIDPLUS" ? dove : bare;
      const name = "rep-crash2";
      feeds.set(name, twoItems());
      const env = await envFor(name, `on-update="replace"`, imap, caps);
      await run(env);
      feeds.set(name, [{ title: "A two", body: "second text", day: 1 }, twoItems()[1]]);
      const crashed = await runCliChild([flagship, "--quiet"], { ...env, CRASH_AFTER_UPDATES: "1" }, {
        entry: CRASH_AFTER_APPEND_CLI,
      });
      assert.equal(crashed.code, 137, crashed.stderr);
      assert.deepEqual((await imapCopies(imap, "Rep-crash2", "urn:rep-crash2:0")).map((c) => c.subject), [
        "A two",
      ]);
      const again = await run(env);
      assert.equal(counter(again, "appended") + counter(again, "replaced"), 0);
      assert.deepEqual((await imapCopies(imap, "Rep-crash2", "urn:rep-crash2:0")).map((c) => c.subject), [
        "A two",
      ]);
      // Recorded now: the run after that does nothing.
      assert.equal(counter(await run(env), "updatedEntries"), 0);
    });
  }

  test("new: the changed entry arrives again as a new message marked as an update; the old one stays", async () => {
    const name = "newmode";
    feeds.set(name, twoItems());
    const env = await envFor(name, `on-update="new"`, dove, "x");
    await run(env);
    const [first] = await imapCopies(dove, "Newmode", "urn:newmode:0");
    feeds.set(name, [{ title: "A two", body: "second text", day: 1 }, twoItems()[1]]);
    const summary = await run(env);
    assert.equal(counter(summary, "appended"), 1);
    const copies = await imapCopies(dove, "Newmode", "urn:newmode:0");
    assert.deepEqual(copies.map((c) => c.subject), ["A one", "Updated: A two"]);
    assert.equal(copies[0].uid, first.uid);
    // Entry 0's messages only: the folder also holds entry 1's, and a Maildir lists files in no fixed order.
    const stored = (await readMaildir(dove.mailRoot)).filter((m) => m.folder === "Newmode").map((m) =>
      parseMime(m.raw)
    ).filter((m) => headerValue(m, "X-Sluice-Entry-Id") === "urn:newmode:0");
    assert.equal(stored.length, 2);
    const firstId = headerValue(
      stored.find((m) => !/Updated/.test(headerValue(m, "Subject") ?? ""))!,
      "Message-ID",
    );
    const update = stored.find((m) => /Updated/.test(headerValue(m, "Subject") ?? ""))!;
    assert.notEqual(headerValue(update, "Message-ID"), firstId);
    assert.equal(headerValue(update, "References"), firstId);
    assert.equal(headerValue(update, "X-Sluice-Update-Of"), firstId);
    assert.equal(counter(await run(env), "appended"), 0, "sent once");

    // Killed after the new version's APPEND, before the record: the next run does not send it again.
    feeds.set(name, [{ title: "A three", body: "third", day: 1 }, twoItems()[1]]);
    const crashed = await runCliChild([flagship, "--quiet"], { ...env, CRASH_AFTER_BATCHES: "1" }, {
      entry: CRASH_AFTER_APPEND_CLI,
    });
    assert.equal(crashed.code, 137, crashed.stderr);
    const rerun = await run(env);
    assert.equal(counter(rerun, "appended"), 0);
    assert.equal(counter(rerun, "foundInDoubt"), 1);
    assert.deepEqual((await imapCopies(dove, "Newmode", "urn:newmode:0")).map((c) => c.subject), [
      "A one",
      "Updated: A two",
      "Updated: A three",
    ]);
  });

  test("ignore is the default: a changed entry sends nothing", async () => {
    const name = "ignored";
    feeds.set(name, twoItems());
    const env = await envFor(name, "", dove, "x");
    await run(env);
    feeds.set(name, [{ title: "A two", body: "second text", day: 1 }, twoItems()[1]]);
    const summary = await run(env);
    assert.equal(counter(summary, "appended"), 0);
    assert.deepEqual((await imapCopies(dove, "Ignored", "urn:ignored:0")).map((c) => c.subject), ["A one"]);

    // on-update set later: the entries are taken as they are now (nothing sent), then followed.
    const later = { ...await envFor(name, `on-update="replace"`, dove, "x") };
    const adopted = await run(later);
    assert.equal(counter(adopted, "appended") + counter(adopted, "replaced"), 0);
    feeds.set(name, [{ title: "A three", body: "third", day: 1 }, twoItems()[1]]);
    assert.equal(counter(await run(later), "replaced"), 1);
    assert.deepEqual((await imapCopies(dove, "Ignored", "urn:ignored:0")).map((c) => c.subject), ["A three"]);
  });

  test("replace, repeated after a crash between flagging the old message \\Deleted and the EXPUNGE", async () => {
    const enc = new TextEncoder();
    const message = (subject: string, hash: string, update: boolean): MailMessage => ({
      folder: "Halfway",
      raw: enc.encode(
        `Subject: ${subject}\r\nMessage-ID: <h@sluice>\r\nX-Sluice-Entry-Id: urn:h\r\n` +
          `X-Sluice-Content-Hash: ${hash}\r\n\r\nbody\r\n`,
      ),
      date: new Date("2026-06-01T00:00:00Z"),
      feedUrl: "https://x/feed",
      entryId: "urn:h",
      messageId: "<h@sluice>",
      version: update ? { hash, update: { mode: "replace", folder: "Halfway" } } : { hash },
    });
    for (const imap of [dove, bare]) {
      const up = new ImapUploader({ url: imap.url });
      try {
        const [old] = await up.appendBatch("Halfway", [message("v1", "1".repeat(32), false)], {
          flags: ["\\Seen", "\\Deleted"],
        });
        const v2 = message("v2", "2".repeat(32), true);
        await up.appendBatch("Halfway", [v2], { flags: ["\\Seen"] });
        const { delivery: again, appended } = await up.updateEntry("Halfway", v2, { search: true });
        assert.equal(appended, false);
        const left = await imapCopies(imap, "Halfway", "urn:h");
        assert.deepEqual(left.map((c) => [c.subject, c.flags]), [["v2", ["\\Seen"]]]);
        assert.notEqual(again.uid ?? -1, old.uid ?? -2);
      } finally {
        await up.close();
      }
    }
  });

  test("YAML: on-update under folder-options; a change the filter rejects is not sent", async () => {
    const name = "yaml";
    feeds.set(name, twoItems());
    const { readFile } = await import("node:fs/promises");
    const yaml = (await readFile(flagship, "utf8")).replace(
      / {6}folders:\n[\s\S]*?\n {2}- use: fetch/,
      `      folders:
        Yaml:
          - ${server.url(`/${name}.xml`)}
      folder-options:
        Yaml:
          on-update: replace
          filter: "!item.title.includes('secret')"
  - use: fetch`,
    );
    const file = path.join(dir, "updates.yaml");
    await writeFile(file, yaml);
    const env = { FEEDS: "", IMAP_URL: dove.url, STATE_DIR: path.join(dir, "state-yaml") };
    await run(env, file);
    feeds.set(name, [{ title: "A two", body: "second text", day: 1 }, twoItems()[1]]);
    assert.equal(counter(await run(env, file), "replaced"), 1);
    assert.deepEqual((await imapCopies(dove, "Yaml", "urn:yaml:0")).map((c) => c.subject), ["A two"]);
    // A change the folder's filter now rejects is recorded, not sent.
    feeds.set(name, [{ title: "A secret", body: "second text", day: 1 }, twoItems()[1]]);
    const filtered = await run(env, file);
    assert.equal(counter(filtered, "replaced") + counter(filtered, "updatedEntries"), 0);
    assert.deepEqual((await imapCopies(dove, "Yaml", "urn:yaml:0")).map((c) => c.subject), ["A two"]);
  });

  test("Maildir: replace leaves one file, the new version, with the old one's flags", async () => {
    const name = "md";
    feeds.set(name, twoItems());
    const root = path.join(dir, "Maildir");
    const list = path.join(dir, "md.txt");
    await writeFile(list, `${server.url(`/${name}.xml`)} Md on-update="replace"\n`);
    const env = { FEEDS: list, IMAP_URL: "", MAILDIR: root, STATE_DIR: path.join(dir, "state-md") };
    await run(env);
    const subjectOf = (raw: Uint8Array) => decodeWords(headerValue(parseMime(raw), "Subject") ?? "");
    const a = (await readMaildir(root)).find((m) => subjectOf(m.raw) === "A one")!;
    // The reader saw it and flagged it: moved to cur/ with its flags.
    await rename(a.file, path.join(root, ".Md", "cur", `${path.basename(a.file)}:2,FS`));
    feeds.set(name, [{ title: "A two", body: "second text", day: 1 }, twoItems()[1]]);
    assert.equal(counter(await run(env), "replaced"), 1);
    const files = (await readMaildir(root)).map((m) => [subjectOf(m.raw), path.basename(m.file)]);
    assert.equal(files.length, 2);
    const two = files.find(([s]) => s === "A two")!;
    assert.match(two[1], /:2,FS$/);
    assert.deepEqual((await readdir(path.join(root, ".Md", "cur"))).length, 1);
  });
});

describe("on-update pieces", () => {
  test("the content hash ignores dates, links and categories; sees title and content", () => {
    const base = { id: "1", title: "T", html: "<p>x</p>", enclosures: [] };
    const h = entryContentHash(base);
    assert.equal(
      entryContentHash({ ...base, updated: "2026-01-01", link: "https://x/", categories: ["a"] }),
      h,
    );
    assert.notEqual(entryContentHash({ ...base, title: "T2" }), h);
    assert.notEqual(entryContentHash({ ...base, html: "<p>y</p>" }), h);
  });

  test("on-update in OPML (a folder outline's, a feed's own wins) and in a plain list's [Folder] line", () => {
    const opml = `<?xml version="1.0"?><opml version="2.0"><head/><body>
  <outline text="Wiki" on-update="replace">
    <outline text="a" type="rss" xmlUrl="https://example.org/a.xml"/>
    <outline text="b" type="rss" xmlUrl="https://example.org/b.xml" on-update="new"/>
  </outline></body></opml>`;
    assert.deepEqual(parseFeedList(opml, "feeds.opml").map((f) => f.options?.onUpdate), ["replace", "new"]);
    const plain = '[Logs] on-update="new"\nhttps://example.org/c.xml Logs\nhttps://example.org/d.xml Other\n';
    assert.deepEqual(parseFeedList(plain, "feeds.txt").map((f) => f.options?.onUpdate), ["new", undefined]);
  });

  test("on-update in a feed list: replace, new, ignore; anything else names where", () => {
    assert.deepEqual(readFeedOptions({ "on-update": "Replace" }, (n) => n), { onUpdate: "replace" });
    assert.throws(
      () => readFeedOptions({ "on-update": "overwrite" }, (n) => `feeds.txt:3:20 (${n})`),
      /feeds\.txt:3:20 \(on-update\): `on-update` must be replace, new or ignore/,
    );
  });

  test("Maildir: a replace repeated after a crash between the write and the removal leaves one file", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "sluice-md-replace-"));
    try {
      const writer = new MaildirWriter(root, { fsync: false });
      const enc = new TextEncoder();
      const message = (subject: string, hash: string, update: boolean): MailMessage => ({
        folder: "News",
        raw: enc.encode(`Subject: ${subject}\r\nMessage-ID: <1@sluice>\r\n\r\nbody\r\n`),
        date: new Date("2026-06-01T00:00:00Z"),
        feedUrl: "https://x/feed",
        entryId: "urn:1",
        messageId: "<1@sluice>",
        version: update ? { hash, update: { mode: "replace", folder: "News" } } : { hash },
      });
      await writer.write(message("v1", "1".repeat(32), false));
      const v2 = message("v2", "2".repeat(32), true);
      // The crash: v2 written, v1 not removed yet.
      await writer.write(v2);
      assert.equal((await readMaildir(root)).length, 2);
      await writer.replaceEntry(v2);
      const left = await readMaildir(root);
      assert.deepEqual(left.map((m) => decodeWords(headerValue(parseMime(m.raw), "Subject") ?? "")), ["v2"]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

function folderOf(name: string): string {
  return name[0].toUpperCase() + name.slice(1);
}
