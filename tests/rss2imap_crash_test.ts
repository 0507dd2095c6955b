/**
 * Exactly once across crashes. The process dies (exit 137, the CLI run through
 * `support/crash_after_append.ts`) right after the mailbox accepted a batch and before the batch was
 * recorded as delivered; the next run finds the "sending" marks, looks for those messages, and sends nothing
 * twice. Also: leftover marks of messages that never arrived are sent, a refused message loses its
 * mark, and the ledger's doubt bookkeeping on its own.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  fromIterable,
  pipeline,
  runPipeline,
  type RunSummary,
  silentLogger,
} from "../engine/pipeline/mod.ts";
import { MemoryStore, openStore } from "../engine/state/mod.ts";
import { loadPipeline } from "../cli/load.ts";
import { DeliveryLedger } from "../stages/delivery_ledger.ts";
import { maildir, uploadImap } from "../stages/mailbox.ts";
import { MaildirWriter } from "../lib/maildir/writer.ts";
import { ImapUploader } from "../lib/imap/uploader.ts";
import type { MailMessage } from "../lib/mime/mod.ts";
import { dovecotSkip, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { startFakeImapServer } from "./support/fake_imap_server.ts";
import { type FeedFarm, startFeedFarm } from "./support/feed_farm.ts";
import { readMaildir } from "./support/maildir_reader.ts";
import { runCliChild as cli } from "./support/cli_child.ts";
import { CRASH_AFTER_APPEND_CLI } from "./support/crash_after_append.ts";
import { headerValue, parseMime } from "./support/mime_reader.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");
const quiet = { logger: silentLogger, measureLag: false };
const FEED = "https://example.org/feed.xml";
const enc = new TextEncoder();

/** A small message the IMAP search (X-Sluice-Entry-Id) and the Maildir lookup (Message-ID) can find. */
function mail(entryId: string, folder = "Doubt", body = "Hello\r\n"): MailMessage {
  const messageId = `<${entryId}@sluice.test>`;
  const raw = enc.encode(
    `From: feed@example.org\r\nSubject: ${entryId}\r\nX-Sluice-Entry-Id: ${entryId}\r\n` +
      `Message-ID: ${messageId}\r\n\r\n${body}`,
  );
  return { folder, raw, date: new Date("2026-02-03T04:05:06Z"), feedUrl: FEED, entryId, messageId };
}

const markOf = (m: MailMessage) => ({
  feedUrl: m.feedUrl,
  id: m.entryId,
  folder: m.folder,
  messageId: m.messageId,
});

/** How many stored messages carry each Message-ID. */
async function countByMessageId(root: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const s of await readMaildir(root)) {
    const id = headerValue(parseMime(s.raw), "Message-ID") ?? "";
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** A named counter summed over the run's stages. */
function counter(summary: RunSummary, name: string): number {
  return summary.metrics.stages.reduce((n, s) => n + (s.counters[name] ?? 0), 0);
}

describe("delivery ledger: sending marks and doubts", () => {
  test("sending marks a batch; delivered clears it; unsent clears it; dry runs mark nothing", async () => {
    const store = new MemoryStore();
    const ledger = new DeliveryLedger(store);
    const [a, b, c] = [mail("a"), mail("b"), mail("c")];
    await ledger.sending([a, b, c]);
    assert.deepEqual((await store.listSending()).map((m) => m.id), ["a", "b", "c"]);
    await ledger.confirm([a]);
    await ledger.unsent([b]);
    assert.deepEqual((await store.listSending()).map((m) => m.id), ["c"]);
    assert.equal(await store.isDelivered(FEED, "a"), true);
    assert.equal(await store.isDelivered(FEED, "b"), false);

    const dry = new DeliveryLedger(store, true);
    await dry.sending([mail("d")]);
    assert.deepEqual((await store.listSending()).map((m) => m.id), ["c"]);
    await store.close();
  });

  test("settleDoubts looks only for messages in doubt, in the folder each may be in", async () => {
    const store = new MemoryStore();
    // Left by an "earlier run": c went to the folder Old before the crash.
    await store.markSending([{ ...markOf(mail("c")), folder: "Old" }, markOf(mail("gone"))]);
    const ledger = new DeliveryLedger(store);
    const [a, b, c, d] = [mail("a"), mail("b"), mail("c"), mail("d")];
    const asked: string[] = [];
    const find = (folder: string, msgs: MailMessage[]) => {
      asked.push(`${folder}: ${msgs.map((m) => m.entryId).join(",")}`);
      const there = msgs.filter((m) => m.entryId === "c" || m.entryId === "b");
      return Promise.resolve(there.map((message) => ({ message, location: folder })));
    };
    // A clean batch: nothing in doubt, nothing looked for.
    assert.deepEqual(await ledger.settleDoubts([a], find), { found: [], toSend: [a] });
    // This run: b's connection broke after the batch was marked.
    await ledger.sending([b, d]);
    await ledger.inDoubt([b, d], "Doubt");
    const settled = await ledger.settleDoubts([a, b, c, d], find);
    assert.deepEqual(asked.sort(), ["Doubt: b,d", "Old: c"]);
    assert.deepEqual(settled.found.map((f) => [f.message.entryId, f.location]), [["b", "Doubt"], [
      "c",
      "Old",
    ]]);
    assert.deepEqual(settled.toSend, [a, d]);
    assert.equal(await store.isDelivered(FEED, "b"), true);
    assert.equal(await store.isDelivered(FEED, "c"), true);
    // Settled doubts are not looked for again; d keeps its mark until it is sent.
    asked.length = 0;
    assert.deepEqual((await ledger.settleDoubts([d], find)).toSend, [d]);
    assert.deepEqual(asked, []);
    assert.deepEqual((await store.listSending()).map((m) => m.id).sort(), ["d", "gone"]);
    await store.close();
  });
});

describe("a refused message loses its sending mark (fake server)", () => {
  test("the server refuses one message of a batch: the others are delivered, no mark is left", async () => {
    const fake = await startFakeImapServer({ refuseOver: 200 });
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-refused-"));
    try {
      const state = path.join(dir, "state");
      const msgs = [mail("m1"), mail("big", "Doubt", "z".repeat(500) + "\r\n"), mail("m2")];
      const url = `imap://bob:pw@127.0.0.1:${fake.port}`;
      const summary = await runPipeline(pipeline(fromIterable(msgs)).to(uploadImap({ url, state })), quiet);
      assert.equal(summary.metrics.stages.find((s) => s.name === "upload-imap")?.errors, 1);
      assert.equal(counter(summary, "appended"), 2);
      const store = await openStore(state);
      try {
        assert.deepEqual(await store.listSending(), []);
        assert.deepEqual(await store.filterUndelivered(FEED, ["m1", "big", "m2"]), ["big"]);
      } finally {
        await store.close();
      }
    } finally {
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("exactly once across a crash", { skip: dovecotSkip() }, () => {
  let dove: RunningDovecot;
  let farm: FeedFarm;
  let dir = "";
  let feeds = "";
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-crash-"));
    dove = await startDovecot({ fsync: false });
    farm = await startFeedFarm({ feeds: 6, entries: 5, images: 0 });
    feeds = path.join(dir, "feeds.txt");
    await writeFile(feeds, farm.feedListText);
  });
  after(async () => {
    await farm?.close();
    await dove?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Runs the CLI until it dies after its 2nd accepted batch; checks that the store says what the crash
   * left (that batch is in the mailbox, marked "sending", not delivered; a batch another connection had
   * in flight may be marked without having arrived); runs again in process; checks that every entry is
   * in the mailbox once and recorded, and that only the marked messages already there were found.
   */
  async function crashThenRerun(env: Record<string, string>, mailRoot: string, state: string) {
    const before = await countByMessageId(mailRoot);
    const crashed = await cli([yamlFile, "--quiet"], { ...env, CRASH_AFTER_BATCHES: "2" }, {
      entry: CRASH_AFTER_APPEND_CLI,
    });
    assert.equal(crashed.code, 137, crashed.stderr);

    const stored = await countByMessageId(mailRoot);
    const newlyStored = [...stored.keys()].filter((id) => !before.has(id));
    let store = await openStore(state);
    const marks = await store.listSending();
    const delivered = await store.deliveredCount();
    await store.close();
    for (const mark of marks) {
      assert.ok((stored.get(mark.messageId) ?? 0) <= 1, `${mark.messageId} once at most`);
    }
    const arrived = marks.filter((mark) => stored.get(mark.messageId) === 1).length;
    assert.ok(arrived > 0, "the batch the server accepted last is marked, not recorded");
    assert.equal(newlyStored.length, delivered + arrived, "stored = recorded + marked and arrived");
    const shown = await cli(["state", yamlFile], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`${marks.length} messages in doubt`));
    for (const mark of marks) assert.ok(shown.stdout.includes(mark.id), `state lists ${mark.id}`);

    const again = await runPipeline((await loadPipeline(yamlFile, env)).pipeline, quiet);
    assert.equal(again.ok, true, JSON.stringify(again.failures));
    assert.equal(
      counter(again, "foundInDoubt"),
      arrived,
      "each marked message that arrived was found, not resent",
    );

    const after = await countByMessageId(mailRoot);
    const added = [...after].filter(([id]) => !before.has(id));
    assert.equal(added.length, 30, "every entry arrived");
    assert.deepEqual(added.filter(([, n]) => n !== 1), [], "no entry arrived twice");
    store = await openStore(state);
    try {
      assert.equal(await store.deliveredCount(), 30);
      assert.deepEqual(await store.listSending(), []);
    } finally {
      await store.close();
    }
  }

  test("IMAP: the process dies between the server's OK and the delivered record", async () => {
    const state = path.join(dir, "imap-state");
    await crashThenRerun({ FEEDS: feeds, STATE_DIR: state, IMAP_URL: dove.url }, dove.mailRoot, state);
  });

  test("Maildir: the process dies between the rename and the delivered record", async () => {
    const state = path.join(dir, "maildir-state");
    const mail = path.join(dir, "Maildir");
    await crashThenRerun({ FEEDS: feeds, STATE_DIR: state, MAILDIR: mail }, mail, state);
  });

  test("IMAP: leftover marks of messages not on the server are sent; those on it are only recorded", async () => {
    const state = path.join(dir, "leftover-imap-state");
    const msgs = ["left-1", "left-2", "left-3", "fresh"].map((id) => mail(id));
    const store = await openStore(state);
    await store.markSending(msgs.slice(0, 3).map(markOf));
    await store.close();
    // left-2 made it to the server before the "crash".
    const up = new ImapUploader({ url: dove.url });
    try {
      await up.appendBatch("Doubt", [msgs[1]]);
    } finally {
      await up.close();
    }
    const summary = await runPipeline(
      pipeline(fromIterable(msgs)).to(uploadImap({ url: dove.url, state })),
      quiet,
    );
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    assert.equal(counter(summary, "foundInDoubt"), 1);
    assert.equal(counter(summary, "appended"), 3);
    const counts = await countByMessageId(dove.mailRoot);
    assert.deepEqual(msgs.map((m) => counts.get(m.messageId)), [1, 1, 1, 1]);
    const again = await openStore(state);
    try {
      assert.deepEqual(await again.filterUndelivered(FEED, msgs.map((m) => m.entryId)), []);
      assert.deepEqual(await again.listSending(), []);
    } finally {
      await again.close();
    }
  });

  test("Maildir: leftover marks of messages not in the folder are written; those in it are only recorded", async () => {
    const state = path.join(dir, "leftover-maildir-state");
    const root = path.join(dir, "leftover-Maildir");
    const msgs = ["left-1", "left-2", "left-3", "fresh"].map((id) => mail(id));
    const store = await openStore(state);
    await store.markSending(msgs.slice(0, 3).map(markOf));
    await store.close();
    await new MaildirWriter(root, { fsync: false }).write(msgs[1]);
    const summary = await runPipeline(
      pipeline(fromIterable(msgs)).to(maildir({ path: root, state, fsync: false })),
      quiet,
    );
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    assert.equal(counter(summary, "foundInDoubt"), 1);
    assert.equal(counter(summary, "written"), 3);
    const counts = await countByMessageId(root);
    assert.deepEqual(msgs.map((m) => counts.get(m.messageId)), [1, 1, 1, 1]);
    const again = await openStore(state);
    try {
      assert.deepEqual(await again.listSending(), []);
      assert.equal(await again.deliveredCount(FEED), 4);
    } finally {
      await again.close();
    }
  });
});
