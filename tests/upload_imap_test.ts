import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { deliveredBefore, ImapBatchError, ImapUploader, isConnectionError } from "../lib/imap/uploader.ts";
import { ImapClient } from "../lib/imap/client.ts";
import type { ImapError } from "../lib/imap/errors.ts";
import type { MailMessage } from "../lib/mime/mod.ts";
import { dovecotSkip, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { startTcpProxy } from "./support/tcp_proxy.ts";
import { startFakeImapServer } from "./support/fake_imap_server.ts";

const enc = new TextEncoder();

function mail(entryId: string, folder = "News", body = "Hello\r\n"): MailMessage {
  const raw = enc.encode(
    `From: feed@example.org\r\nSubject: ${entryId}\r\nX-Sluice-Entry-Id: ${entryId}\r\n` +
      `Message-ID: <${entryId}@sluice>\r\n\r\n${body}`,
  );
  return {
    folder,
    raw,
    date: new Date("2023-04-05T06:07:08Z"),
    feedUrl: "https://example.org/feed.xml",
    entryId,
    messageId: `<${entryId}@sluice>`,
  };
}

/** Message files Dovecot stored for a mailbox (`.A.B` directories under the Maildir, INBOX at the root). */
async function filesIn(mailRoot: string, mailbox: string): Promise<number> {
  const dir = mailbox === "INBOX" ? mailRoot : path.join(mailRoot, `.${mailbox}`);
  let n = 0;
  for (const sub of ["new", "cur"]) n += (await readdir(path.join(dir, sub)).catch(() => [])).length;
  return n;
}

describe("ImapUploader against a private Dovecot", { skip: dovecotSkip() }, () => {
  let dove: RunningDovecot;
  before(async () => {
    dove = await startDovecot({ fsync: false });
  });
  after(async () => {
    await dove?.stop();
  });

  test("'/' and '.' folder names both map to the server's hierarchy", async () => {
    const up = new ImapUploader({ url: dove.url });
    try {
      assert.equal(await up.mailboxName("News/Tech"), "News.Tech");
      assert.equal(await up.mailboxName("inbox"), "INBOX");
      const first = await up.appendBatch("News/Tech", [mail("a1"), mail("a2"), mail("a3")]);
      const second = await up.appendBatch("News.Tech", [mail("a4"), mail("a5")]);
      assert.equal(first.length, 3);
      assert.equal(second.length, 2);
      assert.equal(first[0].location, `imap://127.0.0.1:${dove.port}/News.Tech`);
      assert.deepEqual(first.map((d) => d.message.entryId), ["a1", "a2", "a3"]);
      assert.equal(await filesIn(dove.mailRoot, "News.Tech"), 5);
    } finally {
      await up.close();
    }
  });

  test("a server with '/' as delimiter gets '/' names", async () => {
    const slashDove = await startDovecot({ fsync: false, separator: "/" });
    const up = new ImapUploader({ url: slashDove.url });
    try {
      assert.equal(await up.mailboxName("Blogs.Rust"), "Blogs/Rust");
      await up.appendBatch("Blogs.Rust", [mail("s1")]);
      // Dovecot's Maildir++ layout stores hierarchy levels as dot-separated directories.
      assert.equal(await filesIn(slashDove.mailRoot, "Blogs.Rust"), 1);
    } finally {
      await up.close();
      await slashDove.stop();
    }
  });

  test("large inputs go out in MULTIAPPEND commands of at most maxBatch messages", async () => {
    const proxy = await startTcpProxy(dove.port, { record: true });
    const url = dove.url.replace(`:${dove.port}`, `:${proxy.port}`);
    const up = new ImapUploader({ url, maxBatch: 50 });
    try {
      const msgs = Array.from({ length: 120 }, (_, i) => mail(`b${i}`, "Batched"));
      const delivered = await up.appendBatch("Batched", msgs);
      assert.deepEqual(delivered.map((d) => d.message), msgs);
      assert.equal(await filesIn(dove.mailRoot, "Batched"), 120);
      assert.equal(proxy.clientText.match(/ APPEND /g)?.length, 3); // 50 + 50 + 20
    } finally {
      await up.close();
      await proxy.close();
    }
  });

  test("bare LF line endings are sent as CRLF", async () => {
    const proxy = await startTcpProxy(dove.port, { record: true });
    const up = new ImapUploader({ url: dove.url.replace(`:${dove.port}`, `:${proxy.port}`) });
    try {
      const m = mail("lf1");
      m.raw = enc.encode("Subject: lf\nX-Sluice-Entry-Id: lf1\n\nline one\nline two\r\n");
      await up.appendBatch("Lf", [m]);
      assert.ok(
        proxy.clientText.includes("Subject: lf\r\nX-Sluice-Entry-Id: lf1\r\n\r\nline one\r\nline two\r\n"),
      );
      assert.equal(await up.hasEntry("Lf", "lf1"), true);
    } finally {
      await up.close();
      await proxy.close();
    }
  });

  test("hasEntry matches the whole entry id, not a substring", async () => {
    const up = new ImapUploader({ url: dove.url });
    try {
      await up.appendBatch("Ids", [mail("12", "Ids"), mail('https://example.org/p?id=7&x="q"', "Ids")]);
      assert.equal(await up.hasEntry("Ids", "12"), true);
      assert.equal(await up.hasEntry("Ids", "1"), false);
      assert.equal(await up.hasEntry("Ids", "123"), false);
      assert.equal(await up.hasEntry("Ids", 'https://example.org/p?id=7&x="q"'), true);
      assert.deepEqual(await up.hasEntries("Ids", ["12", "2", "nope"]), new Set(["12"]));
    } finally {
      await up.close();
    }
  });

  test("hasEntry finds ids the composer folded or MIME-encoded", async () => {
    const up = new ImapUploader({ url: dove.url });
    // The header lines as nodemailer writes them for a long URL, a non-ASCII id and a long id with spaces.
    const written: [string, string][] = [
      [
        "https://example.org/2024/03/05/a-very-long-blog-post-title-that-goes-on/?utm_source=rss&x=1",
        "X-Sluice-Entry-ID:\r\n https://example.org/2024/03/05/a-very-long-blog-post-title-that-goes-on/?utm_source=rss&x=1",
      ],
      ["urn:ünïcode:entry/42", "X-Sluice-Entry-ID: =?UTF-8?Q?urn=3A=C3=BCn=C3=AFcode=3Aentry/42?="],
      [
        "tag:blog.example.org,2024:post-1234567890 with spaces in it that is long enough to fold",
        "X-Sluice-Entry-ID: tag:blog.example.org,2024:post-1234567890 with spaces in\r\n it that is long enough to fold",
      ],
    ]; // deno-fmt-ignore
    try {
      const msgs = written.map(([id, header]) => {
        const m = mail(id, "Encoded");
        m.raw = enc.encode(`From: feed@example.org\r\nSubject: s\r\n${header}\r\n\r\nbody\r\n`);
        return m;
      });
      await up.appendBatch("Encoded", msgs);
      for (const [id] of written) assert.equal(await up.hasEntry("Encoded", id), true, id);
      assert.equal(await up.hasEntry("Encoded", "urn:ünïcode:entry/4"), false);
    } finally {
      await up.close();
    }
  });

  test("serverSideDedupe skips entries the folder already holds but reports them delivered", async () => {
    const up = new ImapUploader({ url: dove.url, serverSideDedupe: true });
    try {
      await up.appendBatch("Dedupe", [mail("d1"), mail("d2")]);
      const again = await up.appendBatch("Dedupe", [mail("d1"), mail("d2"), mail("d3")]);
      assert.deepEqual(again.map((d) => d.message.entryId), ["d1", "d2", "d3"]);
      assert.equal(await filesIn(dove.mailRoot, "Dedupe"), 3);
    } finally {
      await up.close();
    }
  });

  test("a connection cut mid-batch is a connection error, and connect() recovers", async () => {
    const proxy = await startTcpProxy(dove.port, { cutAfterClientBytes: 60_000 });
    const up = new ImapUploader({ url: dove.url.replace(`:${dove.port}`, `:${proxy.port}`), maxBatch: 100 });
    try {
      await up.ensureFolder("Cut");
      const big = "x".repeat(998) + "\r\n";
      const msgs = Array.from({ length: 40 }, (_, i) => mail(`c${i}`, "Cut", big.repeat(3)));
      await assert.rejects(up.appendBatch("Cut", msgs), (e: unknown) => {
        assert.ok(isConnectionError(e), String(e));
        return true;
      });
      assert.equal(up.connected, false);
      await up.connect();
      assert.equal((await up.appendBatch("Cut", msgs)).length, 40);
      assert.equal(await filesIn(dove.mailRoot, "Cut"), 40); // MULTIAPPEND: the cut batch stored nothing
    } finally {
      await up.close();
      await proxy.close();
    }
  });

  test("a folder deleted behind the uploader's back is created again (TRYCREATE)", async () => {
    const up = new ImapUploader({ url: dove.url });
    try {
      await up.appendBatch("Gone", [mail("g1")]);
      await rm(path.join(dove.mailRoot, ".Gone"), { recursive: true });
      await up.appendBatch("Gone", [mail("g2")]);
      assert.equal(await filesIn(dove.mailRoot, "Gone"), 1);
    } finally {
      await up.close();
    }
  });

  test("entry dates outside 1970..now+2d are not used as INTERNALDATE (servers mangle them)", async () => {
    const up = new ImapUploader({ url: dove.url });
    const client = await ImapClient.connect(dove.url);
    try {
      const dated = (id: string, iso: string) => ({ ...mail(id, "Dates"), date: new Date(iso) });
      await up.appendBatch("Dates", [
        dated("ok", "2020-02-03T04:05:06Z"),
        dated("old", "1900-01-01T00:00:00Z"), // Dovecot would store 07-Feb-2036
        dated("year1", "0001-01-01T00:00:00Z"), // Dovecot would answer BAD
        dated("future", "2999-01-01T00:00:00Z"),
        dated("invalid", "not a date"),
      ]);
      const yearBefore = new Date().getUTCFullYear();
      // In append order, by UID: the FETCH answer's order is the server's to choose.
      const dates = [...(await client.internalDates("Dates")).entries()].sort(([a], [b]) => a - b)
        .map(([, date]) => date);
      assert.equal(dates.length, 5);
      assert.equal(dates[0], "03-Feb-2020 04:05:06 +0000");
      // The arrival time instead: this year, or the next one when the test ran across New Year.
      const years = [yearBefore, new Date().getUTCFullYear()].map(String);
      for (const d of dates.slice(1)) assert.ok(years.some((y) => d.includes(y)), d);
    } finally {
      await client.logout();
      await up.close();
    }
  });

  test("a wrong password is not a connection error", async () => {
    const up = new ImapUploader({ url: `imap://${dove.user}:not-it@127.0.0.1:${dove.port}` });
    await assert.rejects(up.connect(), (e: ImapError) => {
      assert.equal(e.code, "E_IMAP_AUTH");
      assert.ok(!isConnectionError(e));
      assert.ok(!e.message.includes("not-it"));
      return true;
    });
    await up.close();
  });
});

describe("ImapUploader with a server that refuses one message (fake server)", () => {
  test("the other messages of the batch still arrive; the refused one is reported", async () => {
    const fake = await startFakeImapServer({ refuseOver: 200 });
    const up = new ImapUploader({ url: `imap://bob:pw@127.0.0.1:${fake.port}` });
    try {
      const big = mail("big", "News", "z".repeat(500) + "\r\n");
      const msgs = [mail("m1"), big, mail("m2")];
      await assert.rejects(up.appendBatch("News", msgs), (e: unknown) => {
        assert.ok(e instanceof ImapBatchError, String(e));
        assert.equal(e.code, "E_IMAP_REFUSED");
        assert.ok(!isConnectionError(e));
        assert.deepEqual(e.refused.map((r) => r.message.entryId), ["big"]);
        assert.equal(e.refused[0].error.responseCode, "TOOBIG");
        assert.deepEqual(deliveredBefore(e).map((d) => d.message.entryId), ["m1", "m2"]);
        assert.match(e.message, /1 of 3 messages for IMAP folder 'News' refused; entry big/);
        return true;
      });
      // First the MULTIAPPEND of all three (refused at the big literal), then one APPEND each.
      const appends = fake.commands.filter((c) => / APPEND /.test(c));
      assert.equal(appends.length, 2);
      assert.ok(appends.every((c) => !c.includes("zzz")));
    } finally {
      await up.close();
      await fake.close();
    }
  });
});
