/**
 * rss2imap's `fetch-article` end to end against a real Dovecot, with the pages on a local HTTP server:
 * the entry's link is fetched (redirects followed), its main article (Readability, on the pool) replaces
 * the feed's summary or follows it, the article's images arrive inline, and a page that fails (HTTP 404,
 * no article, larger than the fetch stage's `max-size`) leaves the feed's content, says so in
 * `X-Sluice-Article` and in a warning naming the page. Also `articleHtml` and the option's values alone.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runPipeline } from "../engine/pipeline/mod.ts";
import { loadPipeline } from "../cli/load.ts";
import { DOVECOT_MISSING, dovecotAvailable, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { type Route, startServer, type TestServer } from "./support/http_server.ts";
import { readFolder } from "./support/maildir_reader.ts";
import { headerValue } from "./support/mime_reader.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { makePng } from "./support/png_image.ts";
import { parseFeedList } from "../lib/feed/feed_list.ts";
import { articleHtml, decodePage } from "../lib/dom/article_html.ts";
import { withArticle } from "../lib/mime/entry_article.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const flagship = path.join(repo, "pipelines", "rss2imap.yaml");
const skip = dovecotAvailable() || runtime.env("CI") ? false : DOVECOT_MISSING;

const PROSE = "This sentence belongs to the article body and is long enough to be scored as content. ";

/** A page with navigation, a sidebar and an article of `words` (with an image when `image` is set). */
function page(title: string, words: string, image?: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About the site menu</a></nav>
<aside class="sidebar"><p>Sidebar advertisement block</p></aside>
<article><h1>${title}</h1>
<p>${words} ${PROSE.repeat(8)}</p>
${image ? `<p><img src="${image}" alt="figure"></p>` : ""}
<p>${PROSE.repeat(6)}</p>
</article>
<footer>Copyright footer text</footer></body></html>`;
}

describe("rss2imap fetch-article against Dovecot", { skip }, () => {
  let dove: RunningDovecot;
  let server: TestServer;
  let dir = "";
  const png = makePng("article", 3000);
  const pageHits: string[] = [];

  const feed = (name: string, posts: string[]) =>
    `<?xml version="1.0"?><rss version="2.0"><channel><title>${name}</title>` +
    posts.map((post, i) =>
      `<item><title>${name} ${post}</title><guid>urn:${name}:${post}</guid>` +
      `<link>${server.url(`/post/${post}`)}</link><pubDate>Mon, 0${i + 1} Jun 2026 10:00:00 GMT</pubDate>` +
      `<description>Feed summary of ${post}</description></item>`
    ).join("") + `</channel></rss>`;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-article-"));
    dove = await startDovecot({ fsync: false });
    const routes: Record<string, Route> = {
      "/replace.xml": (_req, res) => {
        res.setHeader("content-type", "application/rss+xml");
        res.end(feed("replace", ["ok", "moved", "missing", "empty", "huge"]));
      },
      "/append.xml": (_req, res) => {
        res.setHeader("content-type", "application/rss+xml");
        res.end(feed("append", ["ok"]));
      },
      "/plain.xml": (_req, res) => {
        res.setHeader("content-type", "application/rss+xml");
        res.end(feed("plain", ["ok"]));
      },
      "/figure.png": (_req, res) => {
        res.setHeader("content-type", "image/png");
        res.end(png);
      },
      "/post/ok": (req, res) => {
        pageHits.push(`ok ${req.headers.accept}`);
        res.setHeader("content-type", "text/html; charset=utf-8");
        // A relative image: it resolves against the page, not the feed.
        res.end(page("The full story", "Readable words of the full story.", "../figure.png"));
      },
      "/post/moved": (_req, res) => res.writeHead(301, { location: "/post/landed" }).end(),
      "/post/landed": (_req, res) => {
        res.setHeader("content-type", "text/html; charset=iso-8859-1");
        res.end(Buffer.from(page("Landed", "Caf\u00e9 words after a redirect."), "latin1"));
      },
      "/post/missing": (_req, res) => res.writeHead(404).end("not here"),
      "/post/empty": (_req, res) => {
        res.setHeader("content-type", "text/html");
        res.end("<html><head><title>x</title></head><body></body></html>");
      },
      "/post/huge": (_req, res) => {
        res.setHeader("content-type", "text/html");
        res.end(page("Huge", "x".repeat(200_000)));
      },
    };
    server = await startServer(routes);
  });
  after(async () => {
    await server?.close();
    await dove?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function messages(folder: string) {
    return (await readFolder(dove.mailRoot, folder)).map((m) => ({
      ...m,
      article: headerValue(m.mime, "X-Sluice-Article"),
    }));
  }

  test("the article replaces or follows the summary; a failed page keeps the summary and says so", async () => {
    const list = path.join(dir, "feeds.txt");
    await writeFile(
      list,
      `${server.url("/replace.xml")} Replace fetch-article=true\n` +
        `${server.url("/append.xml")} Append fetch-article=append\n` +
        `${server.url("/plain.xml")} Plain\n`,
    );
    // The fetch stage's limits apply to the pages: a small max-size makes /post/huge too large.
    const yaml = (await readFile(flagship, "utf8")).replace(
      "    concurrency: 32\n",
      "    concurrency: 32\n    with:\n      max-size: 100000\n      retries: 0\n",
    );
    const file = path.join(dir, "articles.yaml");
    await writeFile(file, yaml);
    const warnings: string[] = [];
    const { pipeline } = await loadPipeline(file, {
      IMAP_URL: dove.url,
      STATE_DIR: path.join(dir, "state"),
      FEEDS: list,
    });
    const summary = await runPipeline(pipeline, {
      logger: { log: (level, message) => level === "warn" && warnings.push(message) },
      measureLag: false,
    });
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));

    const replaced = await messages("Replace");
    assert.deepEqual(replaced.map((m) => m.subject), [
      "replace empty",
      "replace huge",
      "replace missing",
      "replace moved",
      "replace ok",
    ]);
    const [empty, huge, missing, moved, ok] = replaced;
    assert.match(ok.html, /Readable words of the full story/);
    assert.doesNotMatch(ok.html, /Feed summary of ok/);
    assert.doesNotMatch(ok.html, /Sidebar advertisement|Copyright footer/);
    assert.equal(ok.images.length, 1, `the article's image is inline: ${ok.html}`);
    assert.equal(ok.article, `fetched from ${server.url("/post/ok")}`);
    assert.match(moved.html, /Café words after a redirect/, "redirect followed, charset of the header");
    assert.equal(moved.article, `fetched from ${server.url("/post/landed")}`);
    for (
      const [m, reason] of [[missing, /HTTP 404/], [empty, /no article/], [huge, /larger than/]] as const
    ) {
      assert.match(m.html, /Feed summary of/, `${m.subject}: the feed's content is kept`);
      assert.match(m.article ?? "", /^not fetched from http:\/\/127\.0\.0\.1:\d+\/post\/\w+ \(/);
      assert.match(m.article ?? "", reason);
      assert.ok(
        warnings.some((w) => w.includes(server.url(`/post/${m.subject.split(" ")[1]}`)) && reason.test(w)),
        `${m.subject}: a warning names the page (${warnings.join(" | ")})`,
      );
    }

    const [appended] = await messages("Append");
    assert.match(appended.html, /Feed summary of ok[^]*Readable words of the full story/);
    const [plain] = await messages("Plain");
    assert.equal(plain.article, undefined, "a feed without fetch-article fetches no page");
    assert.match(plain.html, /Feed summary of ok/);
    assert.equal(pageHits.length, 2, "only the feeds set to fetch-article fetched /post/ok");
    assert.match(pageHits[0], /text\/html/);
  });
});

describe("fetch-article parts", () => {
  test("the option's values in the plain list, OPML and their mistakes", () => {
    const refs = parseFeedList(
      "https://example.org/a.xml A fetch-article=true\nhttps://example.org/b.xml B fetch-article=append\n" +
        "https://example.org/c.xml C fetch-article=no\n",
      "feeds.txt",
    );
    assert.deepEqual(refs.map((r) => r.options?.fetchArticle), ["replace", "append", undefined]);
    const opml = parseFeedList(
      `<opml version="2.0"><body><outline text="F" fetch-article="true">` +
        `<outline xmlUrl="https://example.org/d.xml"/></outline></body></opml>`,
      "feeds.opml",
    );
    assert.equal(opml[0].options?.fetchArticle, "replace");
    assert.throws(
      () => parseFeedList("https://example.org/feed.xml P fetch-article=maybe\n", "feeds.txt"),
      /feeds\.txt:1:46: `fetch-article` must be true, false, replace or append/,
    );
  });

  test("articleHtml: the article without the page's chrome; none on an empty page; meta charset", () => {
    const found = articleHtml(new TextEncoder().encode(page("T", "Main words here.")), "text/html");
    assert.ok(found);
    assert.match(found.html, /Main words here/);
    assert.doesNotMatch(found.html, /Sidebar advertisement|Copyright footer|About the site menu/);
    assert.equal(articleHtml(new TextEncoder().encode("<html><body></body></html>"), "text/html"), undefined);
    const latin = new Uint8Array([...new TextEncoder().encode('<meta charset="iso-8859-1"><p>'), 0xe9]);
    assert.equal(decodePage(latin).endsWith("<p>é"), true);
  });
});

describe("withArticle", () => {
  test("an extractor that throws (a worker lost) keeps the entry and its content, with the reason", async () => {
    const item = {
      feed: {
        url: "https://example.org/feed.xml",
        folder: "News",
        options: { fetchArticle: "replace" as const },
      },
      entry: { id: "1", link: "https://example.org/1", summary: "Short", enclosures: [] },
      images: [],
    };
    const out = await withArticle(item, {
      fetchPage: (url) => Promise.resolve({ body: new Uint8Array([60]), finalUrl: url }),
      extract: () => Promise.reject(new Error("worker exited")),
    });
    assert.equal(out.entry.summary, "Short");
    assert.equal(out.entry.html, undefined);
    assert.deepEqual(out.article, {
      url: "https://example.org/1",
      fallback: "extraction failed: worker exited",
    });
  });
});
