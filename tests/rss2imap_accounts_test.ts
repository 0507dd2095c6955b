/**
 * Several accounts in one config: folders map to accounts (`accounts:` on the mailbox stage, each URL
 * from its own variable), each account has its own connections, and one account refusing its login
 * fails alone: the other's mail arrives and the run names the failed account (exit 2).
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { runPipeline, silentLogger } from "../engine/pipeline/mod.ts";
import { loadPipeline } from "../cli/load.ts";
import { exitCodeOf } from "../cli/run_command.ts";
import { EXIT } from "../cli/exit_codes.ts";
import { dovecotSkip, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { type FeedFarm, startFeedFarm } from "./support/feed_farm.ts";
import { readMaildir } from "./support/maildir_reader.ts";

const YAML = `name: accounts
state: \${STATE_DIR}
stages:
  - use: feeds
    with:
      list: \${FEEDS}
  - use: fetch
  - use: parse
  - use: dedupe
  - use: mime
  - use: mailbox
    with:
      url: \${HOME_IMAP_URL}
      accounts:
        Work: \${WORK_IMAP_URL}
`;

describe("rss2imap with several accounts", { skip: dovecotSkip() }, () => {
  let dove: RunningDovecot;
  let farm: FeedFarm;
  let dir = "";
  const work = { user: "work", password: "work-pass" };
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-accounts-"));
    dove = await startDovecot({ fsync: false, extraUsers: [work] });
    farm = await startFeedFarm({ feeds: 3, entries: 2, images: 0, latencyMs: 1 });
    // Feed 0 and 1 go to Work (one of them a subfolder), feed 2 to Home (the default account).
    await writeFile(
      path.join(dir, "feeds.txt"),
      `${farm.feedUrls[0]} Work\n${farm.feedUrls[1]} Work/Releases\n${farm.feedUrls[2]} Home\n`,
    );
    await writeFile(path.join(dir, "accounts.yaml"), YAML);
  });
  after(async () => {
    await farm?.close();
    await dove?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(env: Record<string, string>) {
    const { pipeline } = await loadPipeline(path.join(dir, "accounts.yaml"), {
      FEEDS: path.join(dir, "feeds.txt"),
      HOME_IMAP_URL: dove.url,
      ...env,
    });
    return await runPipeline(pipeline, { logger: silentLogger, measureLag: false });
  }
  const workUrl = (password: string) => `imap://${work.user}:${password}@127.0.0.1:${dove.port}`;

  test("an account refusing its login fails alone: the other account's mail arrives", async () => {
    const summary = await run({ STATE_DIR: path.join(dir, "state"), WORK_IMAP_URL: workUrl("wrong") });
    assert.equal(
      exitCodeOf(summary),
      EXIT.ITEMS_FAILED,
      String((summary.error as Error)?.stack) + JSON.stringify(summary.failures),
    );
    const home = await readMaildir(dove.mailRoot);
    assert.deepEqual(home.map((m) => m.folder), ["Home", "Home"]);
    assert.equal((await readMaildir(dove.mailRootOf(work.user))).length, 0);
    assert.equal(summary.failures.length, 4, JSON.stringify(summary.failures));
    for (const f of summary.failures) {
      assert.match(f.error, /account work: login as work on .* refused/);
      assert.ok(!f.error.includes("wrong"), "the password was shown");
    }
  });

  test("fixed, the next run delivers the failed account's mail into its folders, nothing twice", async () => {
    const summary = await run({ STATE_DIR: path.join(dir, "state"), WORK_IMAP_URL: workUrl(work.password) });
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    const stored = await readMaildir(dove.mailRootOf(work.user));
    assert.deepEqual(stored.map((m) => m.folder).sort(), ["Work", "Work", "Work.Releases", "Work.Releases"]);
    assert.equal((await readMaildir(dove.mailRoot)).length, 2);
  });
});
