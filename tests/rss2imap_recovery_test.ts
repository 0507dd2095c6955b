/**
 * rss2imap when things go wrong mid-run, and its two forms: the IMAP connection cut in the middle of a
 * run (the owner reconnects, nothing is delivered twice), a run aborted hard after some deliveries (the
 * next run delivers exactly the rest), and the TypeScript and YAML pipelines giving the same messages.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Chain, type Pipeline, runPipeline, silentLogger, type Stage } from "../engine/pipeline/mod.ts";
import { loadPipeline } from "../cli/load.ts";
import { rss2imap } from "../pipelines/rss2imap.ts";
import { DOVECOT_MISSING, dovecotAvailable, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { type FeedFarm, startFeedFarm } from "./support/feed_farm.ts";
import { readMaildir } from "./support/maildir_reader.ts";
import { headerValue, parseMime } from "./support/mime_reader.ts";
import { startTcpProxy } from "./support/tcp_proxy.ts";
import { runtime } from "../engine/runtime/mod.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");
const skip = dovecotAvailable() || runtime.env("CI") ? false : DOVECOT_MISSING;
const quiet = { logger: silentLogger, measureLag: false };

/** Entry ids of every stored message, and how many messages there are. */
async function entryIds(root: string): Promise<{ ids: Set<string>; count: number }> {
  const stored = await readMaildir(root);
  const ids = new Set(stored.map((s) => headerValue(parseMime(s.raw), "X-Sluice-Entry-Id") ?? ""));
  return { ids, count: stored.length };
}

/** The pipeline with its sink wrapped: `after(n)` is called once n messages were confirmed. */
function watchDeliveries(p: Pipeline, after: (confirmed: number) => void): Pipeline {
  const stages = [...p.stages];
  const last = stages.pop() as Stage<unknown, unknown>;
  const body = last.body as Extract<Stage<unknown, unknown>["body"], { kind: "transform" }>;
  let confirmed = 0;
  const watched: Stage<unknown, unknown> = {
    ...last,
    body: {
      ...body,
      handle: async (item, ctx) => {
        const out = await body.handle(item, ctx);
        after(++confirmed);
        return out;
      },
    },
  };
  return new Chain<never, unknown>([...stages, watched], p.state);
}

describe("rss2imap recovery", { skip }, () => {
  let dove: RunningDovecot;
  let farm: FeedFarm;
  let dir = "";
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-recovery-"));
    dove = await startDovecot({ fsync: false });
    farm = await startFeedFarm({ feeds: 6, entries: 5, images: 1, latencyMs: 1 });
    await writeFile(path.join(dir, "feeds.txt"), farm.feedListText);
  });
  after(async () => {
    await farm?.close();
    await dove?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("a run aborted after some deliveries: the next run delivers exactly the rest", async () => {
    const state = path.join(dir, "abort-state");
    const mail = path.join(dir, "abort-mail");
    const abort = new AbortController();
    const { pipeline } = await loadPipeline(yamlFile, {
      FEEDS: path.join(dir, "feeds.txt"),
      STATE_DIR: state,
      MAILDIR: mail,
    });
    const first = await runPipeline(watchDeliveries(pipeline, (n) => n === 7 && abort.abort()), {
      ...quiet,
      signal: abort.signal,
    });
    assert.equal(first.aborted, true);
    const afterFirst = await entryIds(mail);
    assert.ok(afterFirst.count >= 7 && afterFirst.count < 30, `first run stored ${afterFirst.count}`);

    const again = await loadPipeline(yamlFile, {
      FEEDS: path.join(dir, "feeds.txt"),
      STATE_DIR: state,
      MAILDIR: mail,
    });
    const second = await runPipeline(again.pipeline, quiet);
    assert.equal(second.ok, true, JSON.stringify(second.failures));
    const { ids, count } = await entryIds(mail);
    assert.equal(count, 30, "every entry arrived");
    assert.equal(ids.size, 30, "no entry arrived twice");
  });

  test("the IMAP connection cut mid-run: the owner reconnects and nothing is delivered twice", async () => {
    const proxy = await startTcpProxy(dove.port, { cutAfterClientBytes: 60_000 });
    try {
      const state = path.join(dir, "cut-state");
      const viaProxy = new URL(dove.url);
      viaProxy.port = String(proxy.port);
      const env = { FEEDS: path.join(dir, "feeds.txt"), STATE_DIR: state, IMAP_URL: viaProxy.href };
      const before = await entryIds(dove.mailRoot);
      const first = await runPipeline((await loadPipeline(yamlFile, env)).pipeline, quiet);
      assert.ok(proxy.clientBytes > 60_000, "the cut happened");
      const second = await runPipeline(
        (await loadPipeline(yamlFile, { ...env, IMAP_URL: dove.url })).pipeline,
        quiet,
      );
      assert.equal(second.ok, true, JSON.stringify(second.failures));
      const { ids, count } = await entryIds(dove.mailRoot);
      assert.equal(count - before.count, 30, `first run: ${JSON.stringify(first.failures)}`);
      assert.equal(ids.size - before.ids.size, 30, "no entry arrived twice");
    } finally {
      await proxy.close();
    }
  });

  test("two IMAP connections, each owning a share of the folders, deliver every entry once", async () => {
    const tally = async () => {
      const counts = new Map<string, number>();
      for (const s of await readMaildir(dove.mailRoot)) {
        const id = headerValue(parseMime(s.raw), "X-Sluice-Entry-Id") ?? "";
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    };
    const before = await tally();
    const p = rss2imap({
      feeds: path.join(dir, "feeds.txt"),
      imapUrl: dove.url,
      state: path.join(dir, "two-state"),
      connections: 2,
    });
    const summary = await runPipeline(p, quiet);
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    const after = await tally();
    const added = [...after].map(([id, n]) => [id, n - (before.get(id) ?? 0)] as const).filter(([, n]) =>
      n > 0
    );
    assert.equal(added.length, 30, "every entry arrived");
    assert.ok(added.every(([, n]) => n === 1), "an entry arrived twice");
  });

  test("by default the folders are shared by two connections; one folder opens one", async () => {
    const logins = async (feedList: string, state: string) => {
      const proxy = await startTcpProxy(dove.port, { record: true });
      try {
        const list = path.join(dir, `${state}.txt`);
        await writeFile(list, feedList);
        const viaProxy = new URL(dove.url);
        viaProxy.port = String(proxy.port);
        const env = { FEEDS: list, STATE_DIR: path.join(dir, state), IMAP_URL: viaProxy.href };
        const summary = await runPipeline((await loadPipeline(yamlFile, env)).pipeline, quiet);
        assert.equal(summary.ok, true, JSON.stringify(summary.failures));
        return proxy.clientText.match(/^\S+ (LOGIN|AUTHENTICATE) /gm)?.length ?? 0;
      } finally {
        await proxy.close();
      }
    };
    // The farm's six feeds have their own titles, so six folders: both connections get some.
    assert.equal(await logins(farm.feedListText, "default-conns"), 2);
    const oneFolder = farm.feedListText.trim().split("\n").map((url) => `${url} Single`).join("\n");
    assert.equal(await logins(oneFolder, "one-folder"), 1, "a connection without a folder stays closed");
  });

  test("a wrong password stops the run at the refused logins; the next run with the right one delivers all", async () => {
    const proxy = await startTcpProxy(dove.port, { record: true });
    const state = path.join(dir, "wrong-password");
    const feeds = path.join(dir, "feeds.txt");
    try {
      const wrong = new URL(dove.url);
      wrong.port = String(proxy.port);
      wrong.password = "not-the-password";
      const env = { FEEDS: feeds, STATE_DIR: state, IMAP_URL: wrong.href };
      const summary = await runPipeline((await loadPipeline(yamlFile, env)).pipeline, quiet);
      assert.equal(summary.ok, false);
      assert.equal(
        (summary.error as { code?: string } | undefined)?.code,
        "E_IMAP_AUTH",
        String(summary.error),
      );
      // One login per connection, not one per batch and retry (which took ~26 s against Dovecot's delay).
      const logins = proxy.clientText.match(/^\S+ (LOGIN|AUTHENTICATE) /gm)?.length ?? 0;
      assert.ok(logins >= 1 && logins <= 2, `${logins} logins`);
    } finally {
      await proxy.close();
    }
    const right = { FEEDS: feeds, STATE_DIR: state, IMAP_URL: dove.url };
    const summary = await runPipeline((await loadPipeline(yamlFile, right)).pipeline, quiet);
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    const mailbox = summary.metrics.stages.find((s) => s.name === "mailbox");
    assert.equal(mailbox?.counters.appended, 30, "every entry delivered on the next run");
  });

  test("the TypeScript and the YAML pipeline deliver the same messages", async () => {
    const yamlMail = path.join(dir, "yaml-mail");
    const tsMail = path.join(dir, "ts-mail");
    const feeds = path.join(dir, "feeds.txt");
    const y = await loadPipeline(yamlFile, {
      FEEDS: feeds,
      STATE_DIR: path.join(dir, "y-state"),
      MAILDIR: yamlMail,
    });
    assert.equal((await runPipeline(y.pipeline, quiet)).ok, true);
    const ts = rss2imap({ feeds, maildir: tsMail, state: path.join(dir, "t-state") });
    assert.equal((await runPipeline(ts, quiet)).ok, true);
    const shape = async (root: string) =>
      (await readMaildir(root)).map((s) => `${s.folder} ${headerValue(parseMime(s.raw), "Message-ID")}`)
        .sort();
    const fromYaml = await shape(yamlMail);
    assert.equal(fromYaml.length, 30);
    assert.deepEqual(await shape(tsMail), fromYaml);
  });
});
