/**
 * Only a missing state is a fresh start (issue 13, item 2). An empty, truncated, foreign or newer-schema
 * state file stops the run before anything is sent, naming the file and the commands that recover; and
 * those commands work: `cli.ts state rebuild FILE` (from what the mailbox holds, by X-Sluice-Entry-Id;
 * IMAP against the real Dovecot, and a Maildir) and `cli.ts state reset --mark-seen FILE`.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DatabaseSync } from "node:sqlite";
import { openStore } from "../engine/state/mod.ts";
import { EXIT } from "../cli/exit_codes.ts";
import { dovecotSkip, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { type FeedFarm, startFeedFarm } from "./support/feed_farm.ts";
import { readMaildir } from "./support/maildir_reader.ts";
import { runCliChild as cli } from "./support/cli_child.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");

/** Ways a state file gets damaged. */
const damages: Array<{ name: string; code: string; damage: (file: string) => void }> = [
  { name: "empty (0 bytes)", code: "E_STATE_EMPTY", damage: (f) => truncateSync(f, 0) },
  {
    name: "truncated",
    code: "E_STATE_CORRUPT",
    damage: (f) => truncateSync(f, Math.floor(statSync(f).size / 2)),
  },
  {
    name: "foreign (not SQLite)",
    code: "E_STATE_FOREIGN",
    damage: (f) => writeFileSync(f, "<html>\n".repeat(600)),
  },
  {
    name: "of a newer sluice",
    code: "E_STATE_SCHEMA",
    damage: (f) => {
      const db = new DatabaseSync(f);
      db.exec("INSERT INTO schema_version (version) VALUES (99)");
      db.close();
    },
  },
];

describe(
  "a damaged state stops the run; state rebuild and state reset recover",
  { skip: dovecotSkip() },
  () => {
    let dove: RunningDovecot;
    let farm: FeedFarm;
    let dir = "";
    let feeds = "";
    let places = 0;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), "sluice-recovery-"));
      dove = await startDovecot({ fsync: false });
      farm = await startFeedFarm({ feeds: 4, entries: 5, images: 0 });
      feeds = path.join(dir, "feeds.txt");
      await writeFile(feeds, farm.feedListText);
    });
    after(async () => {
      await farm?.close();
      await dove?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    const count = async (root: string) => (await readMaildir(root)).length;
    /** Entries the farm serves now (tests add some). */
    const entries = () => farm.feedUrls.reduce((n, _, i) => n + farm.entryCount(i), 0);

    /** A mailbox (its own Maildir, or the Dovecot) and a state that delivered every entry once. */
    async function delivered(kind: "imap" | "maildir") {
      const place = path.join(dir, `place-${places++}`);
      const env: Record<string, string> = { FEEDS: feeds, STATE_DIR: path.join(place, "state") };
      if (kind === "imap") env.IMAP_URL = dove.url;
      else env.MAILDIR = path.join(place, "mail");
      const mailRoot = kind === "imap" ? dove.mailRoot : env.MAILDIR;
      const before = kind === "imap" ? await count(mailRoot) : 0;
      const first = await cli([yamlFile, "--quiet"], env);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(await count(mailRoot), before + entries());
      return { env, file: path.join(env.STATE_DIR, "state.db"), mailRoot, total: before + entries() };
    }

    for (const { name, code, damage } of damages) {
      test(`a state file ${name} stops the run before anything is sent (${code}), naming it and the commands`, async () => {
        const { env, file, mailRoot, total } = await delivered("maildir");
        damage(file);
        const run = await cli([yamlFile], env);
        assert.equal(run.code, EXIT.RUN_FAILED, run.stderr);
        assert.ok(run.stderr.includes(file), run.stderr);
        assert.match(run.stderr, /cli\.ts state rebuild PIPELINE\.yaml/);
        assert.match(run.stderr, /cli\.ts state reset --mark-seen PIPELINE\.yaml/);
        assert.equal(await count(mailRoot), total, "nothing was sent");
        // The damaged file is left as it was for the recovery command (or a person) to look at.
        assert.ok(existsSync(file));
      });
    }

    test("state rebuild (IMAP): an emptied state is rebuilt from the mailbox; the next run sends only new entries", async () => {
      const { env, file, mailRoot, total } = await delivered("imap");
      truncateSync(file, 0);
      const rebuilt = await cli(["state", "rebuild", yamlFile], env);
      assert.equal(rebuilt.code, 0, rebuilt.stderr);
      assert.match(rebuilt.stdout, /moved the damaged state aside: .*state\.db\.damaged-/);
      // The Dovecot holds earlier tests' messages too: every entry of the farm is found at least once.
      assert.match(rebuilt.stdout, /recorded \d+ entries found in the mailbox as delivered/);
      assert.ok(readdirSync(path.dirname(file)).some((f) => f.startsWith("state.db.damaged-")));
      const store = await openStore(env.STATE_DIR);
      try {
        for (const [i, url] of farm.feedUrls.entries()) {
          const ids = farm.feedEntries(i).map((e) => e.id);
          assert.deepEqual(await store.filterUndelivered(url, ids), [], `feed ${i} recorded`);
        }
      } finally {
        await store.close();
      }
      farm.bump(1);
      const again = await cli([yamlFile, "--quiet"], env);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(await count(mailRoot), total + 1, "only the new entry was sent");
    });

    test("state rebuild (Maildir): a foreign file is moved aside and the state rebuilt from the Maildir", async () => {
      const { env, file, mailRoot, total } = await delivered("maildir");
      writeFileSync(file, "not a database\n".repeat(100));
      const rebuilt = await cli(["state", "rebuild", yamlFile], env);
      assert.equal(rebuilt.code, 0, rebuilt.stderr);
      assert.match(rebuilt.stdout, new RegExp(`recorded ${entries()} entries found in the mailbox`));
      const again = await cli([yamlFile, "--quiet"], env);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(await count(mailRoot), total, "nothing sent again");
    });

    test("state reset --mark-seen: a truncated state is replaced by one where every current entry is seen", async () => {
      const { env, file, mailRoot, total } = await delivered("maildir");
      truncateSync(file, Math.floor(statSync(file).size / 2));
      const reset = await cli(["state", "reset", "--mark-seen", yamlFile], env);
      assert.equal(reset.code, 0, reset.stderr);
      assert.match(reset.stdout, /moved the damaged state aside/);
      assert.match(reset.stdout, /marked \d+ entries as seen/);
      farm.bump(2);
      const again = await cli([yamlFile, "--quiet"], env);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(await count(mailRoot), total + 1, "only the new entry was sent");
    });

    test("state reset without --mark-seen is a usage error; a whole state is kept by rebuild", async () => {
      const { env, file } = await delivered("maildir");
      const usage = await cli(["state", "reset", yamlFile], env);
      assert.equal(usage.code, EXIT.USAGE, usage.stderr);
      const rebuilt = await cli(["state", "rebuild", yamlFile], env);
      assert.equal(rebuilt.code, 0, rebuilt.stderr);
      assert.doesNotMatch(rebuilt.stdout, /moved/);
      assert.ok(!readdirSync(path.dirname(file)).some((f) => f.includes("damaged")));
    });
  },
);
