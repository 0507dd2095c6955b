/**
 * Regressions found by the bad-input audit of rss2imap (hostile feeds next to a good one, Deno and Bun):
 * relative images under an entry's `xml:base` or in a redirected feed were resolved against the wrong URL
 * and stayed broken remote links; a failed item lost its error's hint (which option raises a limit); an
 * IMAP folder of only dots was reported as "empty"; and a folder name the server refused (too long,
 * leading `~`) was reported without naming the folder.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Logger, runPipeline } from "../engine/pipeline/mod.ts";
import { loadPipeline } from "../cli/load.ts";
import { type Route, startServer, type TestServer } from "./support/http_server.ts";
import { readMaildir } from "./support/maildir_reader.ts";
import { allParts, headerValue, parseMime } from "./support/mime_reader.ts";
import { ImapUploader } from "../lib/imap/uploader.ts";
import { sanitizeFolder } from "../lib/feed/feed_list.ts";
import { summaryText } from "../cli/summary.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");
const PNG = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

function rss(title: string, items: string): string {
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${title}</title>${items}</channel></rss>`;
}

/** The HTML part of each stored message of `folder`, by entry id. */
async function htmlByEntry(root: string, folder: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const stored of await readMaildir(root)) {
    if (stored.folder !== folder) continue;
    const mime = parseMime(stored.raw);
    const html = allParts(mime).find((p) => p.contentType === "text/html");
    out.set(headerValue(mime, "X-Sluice-Entry-Id") ?? "", new TextDecoder().decode(html?.body));
  }
  return out;
}

describe("bad input audit: rss2imap into a Maildir", () => {
  let server: TestServer;
  let dir = "";
  const logged: string[] = [];
  const logger: Logger = { log: (level, message) => void logged.push(`${level}: ${message}`) };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-bad-input-"));
    const png: Route = (_req, res) => {
      res.writeHead(200, { "content-type": "image/png" });
      res.end(PNG);
    };
    server = await startServer({
      "/good.xml": (_req, res, s) => {
        res.writeHead(200, { "content-type": "application/rss+xml" });
        res.end(rss(
          "Good",
          [1, 2, 3].map((i) =>
            `<item><guid>good-${i}</guid><title>good ${i}</title><link>${s.url(`/p/${i}`)}</link></item>`
          )
            .join(""),
        ));
      },
      // Atom: the entry's xml:base, not the feed URL, is where its relative image lives (RFC 4287 / XML Base).
      "/atom.xml": (_req, res, s) => {
        res.writeHead(200, { "content-type": "application/atom+xml" });
        res.end(
          `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Rel</title><id>urn:r</id>` +
            `<entry xml:base="${s.url("/media/")}"><id>based</id><title>based</title>` +
            `<content type="html">&lt;img src="pic.png"&gt;</content></entry></feed>`,
        );
      },
      // A feed that moved: relative URLs in an entry without a link are relative to where it is now.
      "/old/feed.xml": (_req, res) => {
        res.writeHead(301, { location: "/new/dir/feed.xml" });
        res.end();
      },
      "/new/dir/feed.xml": (_req, res) => {
        res.writeHead(200, { "content-type": "application/rss+xml" });
        res.end(
          rss(
            "Moved",
            `<item><guid>moved</guid><title>moved</title><description>&lt;img src="pic.png"&gt;</description></item>`,
          ),
        );
      },
      "/media/pic.png": png,
      "/new/dir/pic.png": png,
      "/gone.xml": (_req, res) => {
        res.writeHead(404);
        res.end("no");
      },
    });
    const list = ["/good.xml Good", "/atom.xml Rel", "/old/feed.xml Moved", "/gone.xml Gone"]
      .map((l) => server.origin + l).join("\n");
    await writeFile(path.join(dir, "feeds.txt"), list + "\n");
    const { pipeline } = await loadPipeline(yamlFile, {
      FEEDS: path.join(dir, "feeds.txt"),
      MAILDIR: path.join(dir, "mail"),
      STATE_DIR: path.join(dir, "state"),
    });
    const summary = await runPipeline(pipeline, { logger, measureLag: false });
    failures = summary.failures;
    summaryLines = summaryText(summary);
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });
  let failures: { item?: string; error: string; hint?: string }[] = [];
  let summaryLines = "";

  test("the good feed is delivered in full and only the missing feed fails", async () => {
    assert.equal((await htmlByEntry(path.join(dir, "mail"), "Good")).size, 3);
    assert.equal(failures.length, 1, JSON.stringify(failures));
    assert.match(failures[0].error, /gone\.xml/);
  });

  test("a relative image under the entry's xml:base is inlined", async () => {
    const html = (await htmlByEntry(path.join(dir, "mail"), "Rel")).get("based") ?? "";
    assert.match(html, /src="cid:/, html);
    assert.equal(server.hits("/media/pic.png"), 1);
  });

  test("a relative image of a redirected feed resolves against the URL after the redirect", async () => {
    const html = (await htmlByEntry(path.join(dir, "mail"), "Moved")).get("moved") ?? "";
    assert.match(html, /src="cid:/, html);
    assert.equal(server.hits("/new/dir/pic.png"), 1);
  });

  test("a failed item keeps its hint: in the run summary and in the dropped warning", () => {
    assert.match(failures[0].hint ?? "", /no feed at this URL/);
    const warning = logged.find((l) => l.startsWith("warn: dropped:") && l.includes("gone.xml")) ?? "";
    assert.match(warning, /404.*\(the server has no feed at this URL/, warning);
    assert.match(
      summaryLines,
      /\[fetch\] .*gone\.xml: .*404.*\(the server has no feed at this URL/,
      summaryLines,
    );
  });

  test("a folder name starting with ~ (a home directory to Dovecot) loses the ~", () => {
    assert.equal(sanitizeFolder("~bob News"), "bob News");
  });
});

/** A scripted IMAP server: OK to everything, except CREATE, refused as Dovecot refuses a long name. */
async function refusingCreateServer(): Promise<{ port: number; creates(): number; close(): Promise<void> }> {
  let creates = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    s.write("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
    let buf = "";
    s.setEncoding("latin1");
    s.on("data", (chunk: string) => {
      buf += chunk;
      for (let eol = buf.indexOf("\r\n"); eol >= 0; eol = buf.indexOf("\r\n")) {
        const line = buf.slice(0, eol);
        buf = buf.slice(eol + 2);
        const [tag, command] = line.split(" ");
        if (command?.toUpperCase() === "CREATE") creates++;
        s.write(
          command?.toUpperCase() === "CREATE"
            ? `${tag} NO [CANNOT] Mailbox name too long\r\n`
            : `${tag} OK done\r\n`,
        );
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    creates: () => creates,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe("bad input audit: IMAP folder names", () => {
  let imap: { port: number; creates(): number; close(): Promise<void> };
  let up: ImapUploader;
  before(async () => {
    imap = await refusingCreateServer();
    up = new ImapUploader({ url: `imap://bob:pw@127.0.0.1:${imap.port}` });
  });
  after(async () => {
    await up?.close();
    await imap?.close();
  });

  test("a folder of only dots and slashes is named and said to have no name left, not to be empty", async () => {
    await assert.rejects(up.ensureFolder(".."), (e: Error) => {
      assert.match(e.message, /'\.\.' has no name left/);
      assert.doesNotMatch(e.message, /is empty/);
      return true;
    });
  });

  test("a folder the server refuses to create is named in the error, with the server's reason", async () => {
    const long = "x".repeat(300);
    await assert.rejects(up.ensureFolder(long), (e: Error & { code?: string; hint?: string }) => {
      assert.ok(e.message.includes(`cannot create IMAP folder '${long}'`), e.message);
      assert.match(e.message, /Mailbox name too long/);
      assert.equal(e.code, "E_IMAP_NO");
      assert.ok(e.hint);
      return true;
    });
  });
});

describe("bad input audit: a refusal for good is not retried within the run", () => {
  test("a folder the server cannot create: one CREATE per batch, the entry reported, no back-off retries", async () => {
    const imap = await refusingCreateServer();
    const feeds = await startServer({
      "/feed.xml": (_req, res) => {
        res.writeHead(200, { "content-type": "application/rss+xml" });
        res.end(`<?xml version="1.0"?><rss version="2.0"><channel><title>Refused</title>
<item><title>One</title><link>http://example.org/1</link><guid>urn:refused:1</guid></item></channel></rss>`);
      },
    });
    const dir = await mkdtemp(path.join(tmpdir(), "sluice-refused-"));
    try {
      await writeFile(path.join(dir, "feeds.txt"), `${feeds.url("/feed.xml")}\n`);
      const { pipeline } = await loadPipeline(yamlFile, {
        FEEDS: path.join(dir, "feeds.txt"),
        STATE_DIR: path.join(dir, "state"),
        IMAP_URL: `imap://bob:pw@127.0.0.1:${imap.port}`,
      });
      const summary = await runPipeline(pipeline, { logger: { log: () => {} }, measureLag: false });
      assert.equal(summary.failures.length, 1, JSON.stringify(summary.failures));
      assert.match(summary.failures[0].error, /cannot create IMAP folder 'Refused'.*Mailbox name too long/);
      const mailbox = summary.metrics.stages.find((s) => s.name === "mailbox");
      assert.equal(mailbox?.retries, 0, "NO [CANNOT] is not retried");
      assert.equal(imap.creates(), 1);
    } finally {
      await feeds.close();
      await imap.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
