import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { composeMessage, headerSafe, messageIdFor } from "../lib/mime/mod.ts";
import { htmlToText } from "../lib/mime/text.ts";
import { WorkerPool } from "../engine/kernel/worker_pool.ts";
import type { EntryItem } from "../lib/mime/mod.ts";
import type { InlineImage } from "../lib/html/mod.ts";
import {
  allParts,
  bodyText,
  headerValue,
  type MimePart,
  parseMime,
  partByCid,
} from "./support/mime_reader.ts";

const FIXED_NOW = new Date("2030-06-01T00:00:00Z");

function image(n: number, size = 20_000): InlineImage {
  const content = new Uint8Array(size);
  for (let i = 0; i < size; i++) content[i] = (i * 31 + n * 7 + (i >> 8)) & 0xff;
  return {
    cid: `img${n}.abc@sluice`,
    url: `https://example.org/${n}.png`,
    contentType: "image/png",
    filename: `${n}.png`,
    content,
  };
}

function item(overrides: Partial<EntryItem["entry"]> = {}, images = [image(1), image(2)]): EntryItem {
  return {
    feed: { url: "https://bob:secret@example.org/feed.xml", folder: "News" },
    feedTitle: "Zürich Café Blog",
    entry: {
      id: "urn:example:1",
      title: "Smörgåsbord für alle — ein sehr langer Titel, der über die Zeilenlänge hinausgeht, bestimmt",
      link: "https://example.org/posts/1",
      published: "2025-01-02T03:04:05Z",
      enclosures: [],
      ...overrides,
    },
    html: `<p>Hello <a href="https://example.org/x">there</a></p>` +
      images.map((i) => `<p><img src="cid:${i.cid}" alt="pic ${i.cid}"></p>`).join(""),
    images,
  };
}

const text = (raw: Uint8Array) => new TextDecoder().decode(raw);
/** A text part's content with the CRLF of the wire format turned into `\n`. */
const lines = (part: MimePart) => bodyText(part).replace(/\r\n/g, "\n");

describe("composeMessage", () => {
  test("two images parse back as multipart/alternative + multipart/related with resolving cids", async () => {
    const images = [image(1), image(2, 15_000)];
    const msg = await composeMessage(item({}, images), { now: () => FIXED_NOW });
    const root = parseMime(msg.raw);
    assert.equal(root.contentType, "multipart/alternative");
    assert.deepEqual(root.parts.map((p) => p.contentType), ["text/plain", "multipart/related"]);
    const related = root.parts[1];
    assert.equal(related.parts[0].contentType, "text/html");
    const html = bodyText(related.parts[0]);
    for (const input of images) {
      assert.match(html, new RegExp(`src="cid:${input.cid.replace(/\./g, "\\.")}"`));
      const part = partByCid(root, input.cid);
      assert.ok(part, `no part for cid ${input.cid}`);
      assert.equal(part.contentType, "image/png");
      assert.match(headerValue(part, "content-disposition") ?? "", /^inline/);
      assert.equal(part.params.name, input.filename);
      assert.deepEqual(part.body, input.content);
      assert.ok(related.parts.includes(part), "image parts belong to the multipart/related");
    }
  });

  test("headers: From display name, encoded Subject, Date, X-Sluice-*, redacted feed URL", async () => {
    const it = item();
    const msg = await composeMessage(it, { from: "bot@example.net", to: "me@example.net" });
    const root = parseMime(msg.raw);
    assert.equal(headerValue(root, "from"), `Zürich Café Blog <bot@example.net>`);
    assert.equal(headerValue(root, "to"), "me@example.net");
    assert.equal(headerValue(root, "subject"), it.entry.title);
    assert.equal(msg.subject, it.entry.title);
    assert.doesNotMatch(
      text(msg.raw).split("\r\n\r\n")[0],
      /[^\x20-\x7e\r\n\t]/,
      "raw header block is ASCII",
    );
    assert.equal(new Date(headerValue(root, "date")!).toISOString(), "2025-01-02T03:04:05.000Z");
    assert.equal(msg.date.toISOString(), "2025-01-02T03:04:05.000Z");
    assert.equal(headerValue(root, "x-sluice-entry-id"), "urn:example:1");
    assert.equal(headerValue(root, "x-sluice-feed"), "https://***:***@example.org/feed.xml");
    assert.doesNotMatch(text(msg.raw), /secret/);
    assert.match(headerValue(root, "list-id") ?? "", /^<[0-9a-f]{16}\.feeds\.sluice\.invalid>$/);
    assert.equal(msg.folder, "News");
    assert.equal(msg.feedUrl, it.feed.url);
    assert.equal(msg.entryId, "urn:example:1");
  });

  test("Message-ID and bytes are deterministic; another entry gets another id", async () => {
    const a = await composeMessage(item(), { now: () => FIXED_NOW });
    const b = await composeMessage(item(), { now: () => FIXED_NOW });
    const c = await composeMessage(item({ id: "urn:example:2" }), { now: () => FIXED_NOW });
    assert.equal(a.messageId, b.messageId);
    assert.match(a.messageId, /^<[0-9a-f]{32}@sluice>$/);
    assert.equal(a.messageId, messageIdFor(a.feedUrl, a.entryId));
    assert.notEqual(a.messageId, c.messageId);
    assert.equal(headerValue(parseMime(a.raw), "message-id"), a.messageId);
    assert.deepEqual(a.raw, b.raw);
    const newPassword = await composeMessage({
      ...item(),
      feed: { url: "https://bob:new@example.org/feed.xml", folder: "News" },
    });
    assert.equal(newPassword.messageId, a.messageId, "credentials are not part of the feed's identity");
  });

  test("CRLF line endings only, lines within 998 octets", async () => {
    const msg = await composeMessage(item({}, [image(1)]));
    const s = text(msg.raw);
    assert.doesNotMatch(s, /[^\r]\n/);
    assert.doesNotMatch(s, /\r(?!\n)/);
    for (const line of s.split("\r\n")) assert.ok(line.length <= 998);
  });

  test("header injection through title, feed title, entry id and cid is neutralised", async () => {
    const evil = item({
      title: "Hi\r\nBcc: victim@example.com\r\n\r\nbody",
      id: "id\r\nX-Evil: 1",
    }, [{ ...image(1), cid: "a@b>\r\nX-Evil: 2", filename: "x.png\r\nX-Evil: 3" }]);
    evil.feedTitle = "Feed\nReply-To: attacker@example.com";
    const msg = await composeMessage(evil);
    const root = parseMime(msg.raw);
    const names = allParts(root).flatMap((p) => p.headers.map(([n]) => n));
    assert.ok(!names.includes("bcc"));
    assert.ok(!names.includes("x-evil"));
    assert.ok(!names.includes("reply-to"));
    assert.equal(headerValue(root, "subject"), "Hi Bcc: victim@example.com body");
    assert.equal(headerValue(root, "x-sluice-entry-id"), "id X-Evil: 1");
    assert.equal(headerSafe("a\u0000b\u2028c"), "a b c");
  });

  test("no title: subject from the summary's first words, else (untitled); no date: the clock", async () => {
    const words = "one two three four five six seven eight nine ten eleven twelve thirteen";
    const fromSummary = await composeMessage(
      item({ title: undefined, summary: `<p>${words}</p>`, published: undefined }, []),
      { now: () => FIXED_NOW },
    );
    assert.equal(fromSummary.subject, "one two three four five six seven eight nine ten eleven twelve…");
    assert.equal(fromSummary.date.toISOString(), FIXED_NOW.toISOString());
    const bare: EntryItem = {
      feed: { url: "https://example.org/f", folder: "F" },
      entry: { id: "x", enclosures: [] },
      images: [],
    };
    const untitled = await composeMessage(bare, { now: () => FIXED_NOW });
    assert.equal(untitled.subject, "(untitled)");
    assert.equal(headerValue(parseMime(untitled.raw), "from"), '"example.org" <feed@sluice.invalid>');
    const updatedOnly = await composeMessage(
      item({ published: "not a date", updated: "2024-05-06T07:08:09Z" }),
    );
    assert.equal(updatedOnly.date.toISOString(), "2024-05-06T07:08:09.000Z");
  });

  test("text and HTML bodies link the original; javascript: links are not shown", async () => {
    const msg = await composeMessage(item({}, []));
    const root = parseMime(msg.raw);
    const plain = lines(root.parts[0]);
    const html = lines(root.parts.find((p) => p.contentType === "text/html")!);
    assert.match(plain, /Original: https:\/\/example\.org\/posts\/1\n$/);
    assert.match(plain, /^Hello there <https:\/\/example\.org\/x>/);
    assert.match(html, /Original: <a href="https:\/\/example\.org\/posts\/1">/);
    const top = await composeMessage(item({}, []), { linkPosition: "top" });
    assert.match(lines(parseMime(top.raw).parts[0]), /^Original: https:\/\/example\.org\/posts\/1\n\nHello/);
    const js = await composeMessage(item({ link: "javascript:alert(1)" }, []));
    assert.doesNotMatch(text(js.raw), /javascript:|Original:/);
  });

  test("without images the HTML is a direct alternative (no multipart/related)", async () => {
    const msg = await composeMessage(item({}, []));
    const root = parseMime(msg.raw);
    assert.deepEqual(root.parts.map((p: MimePart) => p.contentType), ["text/plain", "text/html"]);
  });
});

describe("composeMessage in a worker", () => {
  test("runs unchanged as a WorkerPool task and gives the same bytes as on the loop", async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const task = { module: new URL("../lib/mime/compose.ts", import.meta.url), export: "composeMessage" };
      const input = item();
      const inWorker = await pool.run<Awaited<ReturnType<typeof composeMessage>>>(task, [input, {
        to: "x@y.z",
      }]);
      const onLoop = await composeMessage(input, { to: "x@y.z" });
      assert.ok(pool.usesWorkers);
      assert.deepEqual(inWorker.raw, onLoop.raw);
      assert.equal(inWorker.date.getTime(), onLoop.date.getTime());
    } finally {
      await pool.close();
    }
  });
});

describe("htmlToText", () => {
  test("paragraphs, lists, quotes, images and links", async () => {
    const out = await htmlToText(
      `<h2>Title</h2><p>Read <a href="https://e.org/a">this</a>,  <b>now</b>.<br>Next line</p>` +
        `<ul><li>one</li><li><a href="https://e.org/">https://e.org/</a></li></ul>` +
        `<blockquote><p>q1</p><p>q2</p></blockquote><img src="x" alt="a cat"><script>nope()</script>`,
    );
    assert.equal(
      out,
      "Title\n\nRead this <https://e.org/a>, now.\nNext line\n\n- one\n- https://e.org/\n\n> q1\n>\n> q2\n\n[a cat]",
    );
    assert.equal(await htmlToText("  "), "");
  });
});

describe("mime_reader (the test parser itself)", () => {
  test("folded headers, LF endings, nested multipart, base64, quoted-printable, RFC 2231", () => {
    const raw = [
      "Subject: =?UTF-8?Q?caf=C3=A9?=",
      "  =?UTF-8?B?IMOpdMOp?=",
      "Content-Type: multipart/mixed;",
      ' boundary="outer"',
      "",
      "preamble",
      "--outer",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "soft=",
      " break =C3=A9",
      "--outer",
      "Content-Type: multipart/related; boundary=inner",
      "",
      "--inner",
      "Content-Type: application/octet-stream;",
      " name*0*=utf-8''%C3%A9t;",
      " name*1=e.bin",
      "Content-Transfer-Encoding: base64",
      "",
      "AAEC",
      "/w==",
      "--inner--",
      "--outer--",
      "epilogue",
    ].join("\n");
    const root = parseMime(raw);
    assert.equal(headerValue(root, "subject"), "café été");
    assert.equal(root.parts.length, 2);
    assert.equal(bodyText(root.parts[0]), "soft break é");
    const bin = root.parts[1].parts[0];
    assert.equal(bin.params.name, "éte.bin");
    assert.deepEqual(bin.body, new Uint8Array([0, 1, 2, 255]));
  });
});
