/**
 * What rss2imap says and how it exits in the cases a new user meets: every feed backing off (nothing
 * tried, exit 4, when the next attempt is), a malformed or plaintext IMAP_URL (check and run refuse it,
 * naming the variable), FEEDS set to one feed's URL (a one-feed list) or to a file that is a feed, and the
 * Deploy entry without IMAP_URL (refused, not a Maildir that vanishes).
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { deploySettings, runTick } from "../deploy.ts";
import { EXIT } from "../cli/exit_codes.ts";
import { ImapClient } from "../lib/imap/client.ts";
import { RunMetrics, type RunSummary, silentLogger } from "../engine/pipeline/mod.ts";
import { exitCodeOf } from "../cli/run_command.ts";
import { runStatus } from "../cli/summary.ts";
import { runCliChild } from "./support/cli_child.ts";
import { startServer, type TestServer } from "./support/http_server.ts";
import { readMaildir } from "./support/maildir_reader.ts";

const RSS = (base: string) =>
  `<?xml version="1.0"?><rss version="2.0"><channel><title>One</title><link>${base}/</link>` +
  `<item><title>First</title><link>${base}/1</link><guid>one-1</guid><description>a</description></item>` +
  `<item><title>Second</title><link>${base}/2</link><guid>one-2</guid><description>b</description></item>` +
  `</channel></rss>`;

let server: TestServer;
let dir = "";

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-run-outcome-"));
  server = await startServer({
    "/one.xml": (_req, res) =>
      void res.writeHead(200, { "content-type": "application/rss+xml" }).end(RSS(server.origin)),
    "/gone-a.xml": (_req, res) => void res.writeHead(404).end("no"),
    "/gone-b.xml": (_req, res) => void res.writeHead(404).end("no"),
  });
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** rss2imap.yaml into a Maildir under `name`, with its own state. */
function envFor(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    STATE_DIR: path.join(dir, name, "state"),
    MAILDIR: path.join(dir, name, "Maildir"),
    ...extra,
  };
}

describe("every feed backing off", () => {
  test("a run that tries nothing says so, says when the next attempt is, and exits 4", async () => {
    const list = path.join(dir, "gone.txt");
    await writeFile(list, `${server.url("/gone-a.xml")}\n${server.url("/gone-b.xml")}\n`);
    const env = envFor("gone", { FEEDS: list });
    // Three failures in a row put a feed to rest (README: back-off after 3 failures).
    for (let i = 0; i < 3; i++) {
      const r = await runCliChild(["pipelines/rss2imap.yaml", "--quiet"], env);
      assert.equal(r.code, EXIT.ITEMS_FAILED, r.stderr);
    }
    const hitsBefore = server.hits();
    const quiet = await runCliChild(["pipelines/rss2imap.yaml", "--quiet"], env);
    assert.equal(quiet.code, EXIT.NOTHING_TRIED, quiet.stderr);
    assert.equal(server.hits(), hitsBefore, "a feed at rest was fetched");
    assert.match(
      quiet.stderr,
      /rss2imap: nothing was tried: all 2 feeds are backing off after failures; the next attempt is due at \d{4}-\d\d-\d\dT[\d:.]+Z/,
    );
    assert.doesNotMatch(quiet.stderr, /\bok\b/);
    const json = await runCliChild(["pipelines/rss2imap.yaml", "--json"], env);
    assert.equal(json.code, EXIT.NOTHING_TRIED);
    const summary =
      JSON.parse(json.stdout.trim().split("\n").at(-1) || json.stderr.trim().split("\n").at(-1)!)
        .summary;
    assert.equal(summary.nothingTried, true);
    assert.ok(Date.parse(summary.nextAttemptAt) > Date.now());
  });
});

describe("IMAP_URL is validated by check, and a plaintext login across a network is refused", () => {
  test("a malformed IMAP_URL fails check (exit 1) at the YAML line that uses it, naming the variable", async () => {
    const r = await runCliChild(["check", "pipelines/rss2imap.yaml"], {
      IMAP_URL: "imap://bob:hunter2@mail.example.org:99999",
    });
    assert.equal(r.code, EXIT.CONFIG, r.stderr);
    assert.match(
      r.stderr,
      /rss2imap\.yaml:\d+:\d+: option `url` for stage `mailbox` \(from `\$\{IMAP_URL\}`\): not a URL/,
    );
    assert.match(r.stderr, /hint: fix IMAP_URL: write imap:\/\/USER:PASSWORD@HOST/);
    assert.doesNotMatch(r.stderr, /hunter2/);
  });

  test("tls=off to a host that is not loopback: check and run refuse it with the fix; loopback passes", async () => {
    const url = "imap://bob:hunter2@mail.example.org/?tls=off";
    for (const args of [["check", "pipelines/rss2imap.yaml"], ["pipelines/rss2imap.yaml"]]) {
      const r = await runCliChild(args, { ...envFor("plain"), IMAP_URL: url, FEEDS: server.url("/one.xml") });
      assert.equal(r.code, EXIT.CONFIG, r.stderr);
      assert.match(r.stderr, /tls=off would send the password of bob unencrypted across the network/);
      assert.match(r.stderr, /STARTTLS/);
      assert.match(r.stderr, /imaps:\/\//);
      assert.doesNotMatch(r.stderr, /hunter2/);
      assert.equal(server.hits("/one.xml"), 0, "the run fetched before refusing");
    }
    const loopback = await runCliChild(["check", "pipelines/rss2imap.yaml"], {
      IMAP_URL: "imap://bob:hunter2@127.0.0.1:1143/?tls=off",
    });
    assert.equal(loopback.code, EXIT.OK, loopback.stderr);
  });

  test("the IMAP client refuses tls=off to another host before connecting (no option allows it)", async () => {
    // 192.0.2.1 (TEST-NET-1) is never reachable: a connection attempt would time out, not refuse at once.
    await assert.rejects(
      ImapClient.connect("imap://bob:hunter2@192.0.2.1/?tls=off", { connectTimeoutMs: 60_000 }),
      (e: Error & { code?: string }) => e.code === "E_IMAP_PLAINTEXT" && !e.message.includes("hunter2"),
    );
  });
});

describe("FEEDS set to one feed's URL", () => {
  test("is a list of that one feed: its entries are delivered (exit 0)", async () => {
    const env = envFor("one", { FEEDS: server.url("/one.xml") });
    const r = await runCliChild(["pipelines/rss2imap.yaml", "--quiet"], env);
    assert.equal(r.code, EXIT.OK, r.stderr);
    assert.match(r.stderr, /rss2imap: finished/);
    const mail = await readMaildir(env.MAILDIR);
    assert.equal(mail.length, 2);
  });

  test("a list file that is itself a feed is refused, saying what FEEDS expects", async () => {
    const file = path.join(dir, "feed.xml");
    await writeFile(file, RSS(server.origin));
    const r = await runCliChild(["pipelines/rss2imap.yaml", "--quiet"], envFor("file", { FEEDS: file }));
    assert.equal(r.code, EXIT.RUN_FAILED, r.stderr);
    assert.match(r.stderr, /feed\.xml is a feed itself, not a list of feeds/);
    assert.match(r.stderr, /FEEDS expects a file or URL listing feeds \(one feed URL a line, or OPML\)/);
    assert.doesNotMatch(r.stderr, /0 failed items/);
  });
});

describe("the Deploy entry without IMAP_URL", () => {
  test("refuses to start on Deno Deploy (its filesystem does not last), naming IMAP_URL", async () => {
    const onDeploy = { DENO_DEPLOYMENT_ID: "abc123", FEEDS: server.url("/one.xml"), STATE_DIR: "memory:" };
    assert.throws(
      () => deploySettings(onDeploy),
      (e: Error & { code?: string; hint?: string }) =>
        e.code === "E_DEPLOY_SETTING" && /^IMAP_URL is not set/.test(e.message) &&
        /IMAP_URL/.test(e.hint ?? ""),
    );
    const before = server.hits("/one.xml");
    await assert.rejects(runTick({ env: onDeploy, logger: silentLogger }), /IMAP_URL is not set/);
    assert.equal(server.hits("/one.xml"), before, "the tick fetched before refusing");
    assert.doesNotThrow(() => deploySettings({ ...onDeploy, IMAP_URL: "imaps://bob:pw@mail.example.org" }));
    // Off Deploy (a local `deno run deploy.ts`) the Maildir is on a disk that lasts.
    assert.doesNotThrow(() => deploySettings({ FEEDS: "feeds.txt" }));
  });
});

describe("a run stopped by its time budget (rss2imap's counters)", () => {
  test("says the budget was reached, how many messages the mailbox took, and that the rest comes next run", () => {
    const metrics = new RunMetrics();
    metrics.stage("feeds", "loop", 1, 16).itemsOut = 3;
    const mailbox = metrics.stage("mailbox", "owner", 1, 16);
    mailbox.counters.appended = 7;
    mailbox.counters.batches = 2;
    const summary: RunSummary = {
      ok: true,
      stopped: true,
      stoppedBy: "stopSignal",
      aborted: false,
      failures: [],
      durationMs: 50_000,
      metrics: metrics.snapshot(),
    };
    assert.equal(
      runStatus(summary, { budgetMs: 50_000 }),
      "time budget of 50 s reached: 7 messages delivered; the rest comes next run",
    );
    assert.equal(exitCodeOf(summary, { budgetMs: 50_000 }), EXIT.OK);
    const cut = {
      ...summary,
      aborted: true,
      ok: false,
      error: Object.assign(new Error("aborted"), { code: "E_ABORTED" }),
    };
    assert.match(
      runStatus(cut, { budgetMs: 50_000 }),
      /^time budget of 50 s reached: 7 messages delivered; items still/,
    );
    assert.equal(exitCodeOf(cut, { budgetMs: 50_000 }), EXIT.OK);
    // Another error after the budget stopped the sources is that error, not the budget.
    const failed = { ...cut, error: Object.assign(new Error("login refused"), { code: "E_IMAP_AUTH" }) };
    assert.match(runStatus(failed, { budgetMs: 50_000 }), /^stopped on an error: login refused/);
    assert.equal(exitCodeOf(failed, { budgetMs: 50_000 }), EXIT.RUN_FAILED);
  });
});
