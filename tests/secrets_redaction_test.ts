/**
 * Secrets never leak: a feed URL with a user name and password (`http://alice:PASSWORD@host/feed.xml`)
 * and an IMAP password must not appear in anything sluice prints or writes for people to read: the
 * text and JSON logs, the failure list, `--summary-json`, `--trace`, `cli.ts state` (text and `--json`,
 * `--forget`), feed-list errors and the thrown errors of the state store and the IMAP sink. Runs the CLI
 * as a user meets it (a child process) against a local HTTP server; no IMAP server is needed (the
 * IMAP-refusal error is built directly, the way the sink builds it).
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { redactUrl, redactUrlsIn } from "../engine/errors.ts";
import { describeItem } from "../engine/pipeline/describe_item.ts";
import { deadLetterOf } from "../engine/pipeline/dead_letter.ts";
import { jsonLogger, textLogger } from "../engine/pipeline/logger.ts";
import { messageOf } from "../engine/pipeline/stage_failed_error.ts";
import { openSqlite } from "../engine/runtime/sqlite.ts";
import { openStore } from "../engine/state/open_store.ts";
import { FeedStateBook } from "../stages/feed_state.ts";
import { ImapError } from "../lib/imap/errors.ts";
import { ImapBatchError } from "../lib/imap/uploader.ts";
import { folderFromUrl, parseFeedList } from "../lib/feed/feed_list.ts";
import { runCliChild as cli } from "./support/cli_child.ts";
import { startServer, type TestServer } from "./support/http_server.ts";

const SECRET = "S3cr3tPw9";
const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");

const RSS = `<?xml version="1.0"?><rss version="2.0"><channel><title>Secret test</title>
<item><title>one</title><guid>one</guid><link>http://example.org/1</link><description>hi</description></item>
</channel></rss>`;

/** `http://alice:SECRET@127.0.0.1:PORT/PATH` on the test server. */
function withCredentials(server: TestServer, p: string): string {
  return server.url(p).replace("http://", `http://alice:${SECRET}@`);
}

function assertNoSecret(text: string, where: string): void {
  assert.equal(text.includes(SECRET), false, `${where} shows the password:\n${text}`);
}

describe("secrets stay out of output", () => {
  let server: TestServer;
  let dir = "";

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-secrets-"));
    server = await startServer({
      "/feed.xml": (_req, res) => {
        res.writeHead(200, { "content-type": "application/rss+xml" });
        res.end(RSS);
      },
      // 401: a failure fetch does not retry, so the runs stay fast.
      "/broken.xml": (_req, res) => {
        res.writeHead(401);
        res.end("no");
      },
      "/list.txt": (_req, res) => {
        res.writeHead(500);
        res.end("boom");
      },
      "/bad-list.txt": (_req, res) => {
        res.end("ftp://example.org/feed.xml\n");
      },
    });
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("redactUrl hides all of a password that holds an unencoded `/` (the URL does not parse)", () => {
    const shown = redactUrl(`imap://alice:S3cr/${SECRET}@127.0.0.1:1143`);
    assertNoSecret(shown, "redactUrl");
    assert.equal(shown, "imap://***@127.0.0.1:1143");
  });

  test("redactUrl hides every form of userinfo: digits, user only, empty password, encoded, @ inside, IPv6", () => {
    const digits = "20251206";
    const cases: Array<[string, string]> = [
      [`http://alice:${digits}@example.org/feed`, "http://***:***@example.org/feed"],
      [`http://${digits}@example.org/feed`, "http://***@example.org/feed"], // a user name alone is often a token
      ["http://alice@example.org/feed", "http://***@example.org/feed"],
      ["http://alice:@example.org/feed", "http://***@example.org/feed"],
      [`http://:${digits}@example.org/feed`, "http://:***@example.org/feed"],
      [`http://al%40ice:p%2F${digits}%3A@example.org/feed`, "http://***:***@example.org/feed"],
      [`http://alice:p@${digits}@example.org/feed`, "http://***:***@example.org/feed"],
      [`http://alice:${digits}@[::1]:8080/feed`, "http://***:***@[::1]:8080/feed"],
      [`http://alice:${digits}@[2001:db8::7]/feed`, "http://***:***@[2001:db8::7]/feed"],
      [`HTTPS://alice:${digits}@Example.org/feed`, "https://***:***@example.org/feed"],
      [`imaps://bob:${digits}@mail.example.org`, "imaps://***:***@mail.example.org"],
      [`http://alice:p#${digits}@example.org/feed`, "http://***@example.org/feed"],
      [`http://alice:${digits}@example.org`, "http://***:***@example.org/"],
      [`https://example.org/feed;jsessionid=${digits}?a=1`, "https://example.org/feed;jsessionid=***?a=1"],
      [`https://example.org/feed?Token=${digits}&page=2`, "https://example.org/feed?Token=***&page=2"],
      [`https://example.org/feed?api%5Fkey=${digits}`, "https://example.org/feed?api%5Fkey=***"],
    ];
    for (const [url, shown] of cases) {
      assert.equal(redactUrl(url), shown, url);
      assert.equal(redactUrl(url).includes(digits), false, url);
    }
  });

  test("URLs quoted inside text (a runtime's error, a command's stderr) are redacted in logs, failures and dead letters", () => {
    const url = `http://alice:${SECRET}@example.org/feed.xml?token=${SECRET}`;
    const text = `error sending request for url (${url}): connection refused`;
    assert.equal(
      redactUrlsIn(text),
      "error sending request for url (http://***:***@example.org/feed.xml?token=***): connection refused",
    );
    assertNoSecret(messageOf(new Error(text)), "messageOf (failures, summaries)");
    const lines: string[] = [];
    textLogger("debug", (l) => lines.push(l)).log("info", text, { feed: url });
    jsonLogger("debug", (l) => lines.push(l)).log("warn", text, { feed: url, nested: { url } });
    for (const line of lines) assertNoSecret(line, "a log line");
    assert.match(lines[0], /feed=http:\/\/\*\*\*:\*\*\*@example\.org/);
    const letter = JSON.stringify(
      deadLetterOf("mime", { feedUrl: url, html: `<a href="${url}">x</a>`, note: text }, new Error(text)),
    );
    assertNoSecret(letter, "a dead letter");
  });

  test("a token in a feed URL's query is hidden in labels and kept out of folder names; other parameters stay", () => {
    const url = `https://feeds.example.org/items.xml?api_key=${SECRET}&category=news&access_token=${SECRET}`;
    assert.equal(
      redactUrl(url),
      "https://feeds.example.org/items.xml?api_key=***&category=news&access_token=***",
    );
    assert.equal(describeItem({ feed: { url }, entry: { id: "e1" } }), `${redactUrl(url)} #e1`);
    assert.ok(!folderFromUrl(url).includes(SECRET), folderFromUrl(url));
    assert.match(folderFromUrl(url), /category=news/);
    assert.equal(
      redactUrl("https://example.org/feed?keywords=rust&page=2"),
      "https://example.org/feed?keywords=rust&page=2",
    );
  });

  test("item labels (logs, failures, traces) show feed URLs without credentials", () => {
    const url = `http://alice:${SECRET}@example.org/feed.xml`;
    const shown = "http://***:***@example.org/feed.xml";
    assert.equal(describeItem({ url, folder: "x" }), shown);
    assert.equal(describeItem({ feed: { url }, entry: { id: "e1" } }), `${shown} #e1`);
    assert.equal(describeItem({ feedUrl: url, entryId: "e2" }), `${shown} #e2`);
    assert.equal(describeItem(url), shown);
    assert.equal(describeItem({ label: url }), shown);
    const long = `http://alice:${"x".repeat(120)}${SECRET}@example.org/feed.xml`;
    assertNoSecret(describeItem(long) ?? "", "a long string item");
    // URLs without credentials, and an `@` in a path, stay as they are.
    assert.equal(
      describeItem({ url: "https://social.example/@bob.rss" }),
      "https://social.example/@bob.rss",
    );
  });

  test("a run: text log, failure list, --summary-json and --trace; then state (text, --json, --forget)", async () => {
    const feeds = path.join(dir, "feeds.txt");
    await writeFile(
      feeds,
      `${withCredentials(server, "/feed.xml")}\n${withCredentials(server, "/broken.xml")}\n`,
    );
    const summaryFile = path.join(dir, "summary.json");
    const traceFile = path.join(dir, "trace.json");
    const env = { FEEDS: feeds, MAILDIR: path.join(dir, "Maildir"), STATE_DIR: path.join(dir, "state") };
    const run = await cli([yamlFile, "--verbose", "--summary-json", summaryFile, "--trace", traceFile], env);
    assert.equal(run.code, 2, run.stderr); // the broken feed failed, the other was delivered
    assert.match(run.stderr, /http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/broken\.xml/); // still named, redacted
    assertNoSecret(run.stdout + run.stderr, "the run's log");
    assertNoSecret(await readFile(summaryFile, "utf8"), "--summary-json");
    const trace = await readFile(traceFile, "utf8");
    assert.match(trace, /\*\*\*:\*\*\*@127\.0\.0\.1/);
    assertNoSecret(trace, "--trace");

    const text = await cli(["state", yamlFile], env);
    assert.equal(text.code, 0, text.stderr);
    assertNoSecret(text.stdout + text.stderr, "state");
    const json = await cli(["state", yamlFile, "--json"], env);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as { feeds: Array<{ url: string }> };
    assert.equal(parsed.feeds.length, 2);
    assertNoSecret(json.stdout + json.stderr, "state --json");
    const forget = await cli(["state", yamlFile, "--forget", "http://127.0.0.1:1/unknown.xml"], env);
    assert.match(forget.stderr, /feeds it knows/);
    assertNoSecret(forget.stdout + forget.stderr, "state --forget (unknown feed)");
  });

  test("a run with digit passwords, a user-only URL and tokens: --json, --summary-json and --trace hide them", async () => {
    const digits = "90817263";
    const feeds = path.join(dir, "feeds-forms.txt");
    const urls = [
      server.url("/feed.xml").replace("http://", `http://bob:${digits}@`),
      server.url("/broken.xml").replace("http://", `http://${digits}@`) + `?access_token=${digits}`,
      server.url("/broken.xml").replace("http://", `http://carol:p%40${digits}@`),
    ];
    await writeFile(feeds, urls.join("\n") + "\n");
    const summaryFile = path.join(dir, "summary-forms.json");
    const traceFile = path.join(dir, "trace-forms.json");
    const env = {
      FEEDS: feeds,
      MAILDIR: path.join(dir, "Maildir-forms"),
      STATE_DIR: path.join(dir, "state-forms"),
    };
    const run = await cli([
      yamlFile,
      "--json",
      "--verbose",
      "--summary-json",
      summaryFile,
      "--trace",
      traceFile,
    ], env);
    assert.equal(run.code, 2, run.stderr);
    for (
      const [what, text] of [
        ["the --json log and summary", run.stdout + run.stderr],
        ["--summary-json", await readFile(summaryFile, "utf8")],
        ["--trace", await readFile(traceFile, "utf8")],
      ]
    ) {
      assert.equal(text.includes(digits), false, `${what} shows a credential:\n${text}`);
    }
    assert.match(
      await readFile(summaryFile, "utf8"),
      /http:\/\/\*\*\*@127\.0\.0\.1:\d+\/broken\.xml\?access_token=\*\*\*/,
    );
  });

  test("--json logs name a failing feed without its password", async () => {
    const feeds = path.join(dir, "feeds-json.txt");
    await writeFile(feeds, `${withCredentials(server, "/broken.xml")}\n`);
    const env = {
      FEEDS: feeds,
      MAILDIR: path.join(dir, "Maildir-json"),
      STATE_DIR: path.join(dir, "state-json"),
    };
    const run = await cli([yamlFile, "--json", "--verbose"], env);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /"item":"http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/broken\.xml"/);
    assertNoSecret(run.stdout + run.stderr, "--json log");
  });

  test("a feed list URL with credentials: the HTTP error and line errors do not show them", async () => {
    const env = { FEEDS: withCredentials(server, "/list.txt"), STATE_DIR: path.join(dir, "state-list") };
    const run = await cli([yamlFile], env);
    assert.equal(run.code, 3, run.stderr);
    assert.match(
      run.stderr,
      /cannot fetch the feed list http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/list\.txt: HTTP 500/,
    );
    assertNoSecret(run.stdout + run.stderr, "feed list error");
    const badLine = await cli([yamlFile], { ...env, FEEDS: withCredentials(server, "/bad-list.txt") });
    assert.equal(badLine.code, 3, badLine.stderr);
    assert.match(badLine.stderr, /\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/bad-list\.txt:1: `ftp:\/\/example\.org/);
    assertNoSecret(badLine.stdout + badLine.stderr, "feed list line error");
    // A list whose host is down: the error names the list (not just "fetch failed"), without credentials.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const down = await cli([yamlFile], {
      ...env,
      FEEDS: `http://alice:${SECRET}@127.0.0.1:${closedPort}/list.txt`,
    });
    assert.equal(down.code, 3, down.stderr);
    assert.match(
      down.stderr,
      new RegExp(`cannot fetch the feed list http://\\*\\*\\*:\\*\\*\\*@127\\.0\\.0\\.1:${closedPort}/`),
    );
    assertNoSecret(down.stdout + down.stderr, "feed list host down");
    assert.throws(
      () => parseFeedList(`ftp://alice:${SECRET}@example.org/feed.xml\n`, "feeds.txt"),
      (e: Error) => /feeds\.txt:1: `ftp:\/\/\*\*\*:\*\*\*@example\.org\/feed\.xml`/.test(e.message),
    );
  });

  test("thrown errors: corrupt stored state, and messages the IMAP server refused", async () => {
    const url = `http://alice:${SECRET}@example.org/feed.xml`;
    const stateDir = path.join(dir, "state-corrupt");
    let store = await openStore(stateDir);
    await new FeedStateBook(store).recordSuccess(url, { title: "t" });
    await store.close();
    const db = await openSqlite(path.join(stateDir, "state.db"));
    db.exec("UPDATE kv SET value = '{not json'");
    db.close();
    store = await openStore(stateDir);
    try {
      await assert.rejects(new FeedStateBook(store).getFeed(url), (e: Error) => {
        assert.match(e.message, /not valid JSON/);
        assertNoSecret(e.message, "the corrupt-state error");
        return true;
      });
    } finally {
      await store.close();
    }

    const message = {
      folder: "News",
      raw: new Uint8Array(1),
      date: new Date(0),
      feedUrl: url,
      entryId: "e1",
      messageId: "<m@x>",
    };
    const refused = new ImapBatchError("News", 1, [
      { message, error: new ImapError("E_IMAP_NO", "APPEND failed: NO too big") },
    ], []);
    assert.match(refused.message, /entry e1 of http:\/\/\*\*\*:\*\*\*@example\.org\/feed\.xml/);
    assertNoSecret(refused.message, "ImapBatchError");
  });
});
