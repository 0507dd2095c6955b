/**
 * The two flagship pipelines, `pipelines/rss2imap.yaml` and `pipelines/rss2imap.ts`, run alike: the
 * same stages with the same placement, concurrency, capacity, error policy, retries and settings (the
 * plan `cli.ts plan --json` prints), for a Maildir and for IMAP. Each default lives in one place, so the
 * YAML factories and the TypeScript constructors cannot drift apart.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "./support/testing.ts";
import { loadPipeline } from "../cli/load.ts";
import { planRows } from "../cli/plan.ts";
import { rss2imap } from "../pipelines/rss2imap.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");
// The folders rss2imap.yaml lists when FEEDS is unset.
const folders = { Deno: ["https://deno.com/feed"], Bun: ["https://bun.sh/rss.xml"] };

describe("rss2imap.yaml and rss2imap.ts have the same plan", () => {
  test("into a Maildir", async () => {
    const env = { FEEDS: "", IMAP_URL: "", STATE_DIR: "./.sluice-plan", MAILDIR: "./mail-plan" };
    const yaml = (await loadPipeline(yamlFile, env)).pipeline;
    const ts = rss2imap({ folders, state: env.STATE_DIR, maildir: env.MAILDIR });
    assert.deepEqual(planRows(ts), planRows(yaml));
    assert.equal(planRows(ts).at(-1)?.placement, "loop", "the Maildir sink");
  });

  test("into IMAP", async () => {
    const imapUrl = "imap://bob:secret@127.0.0.1:1143";
    const env = { FEEDS: "", IMAP_URL: imapUrl, STATE_DIR: "./.sluice-plan", MAILDIR: "./mail-plan" };
    const yaml = (await loadPipeline(yamlFile, env)).pipeline;
    const ts = rss2imap({ folders, imapUrl, state: env.STATE_DIR });
    assert.deepEqual(planRows(ts), planRows(yaml));
    const fetch = planRows(ts).find((r) => r.name === "fetch");
    assert.equal(fetch?.settings.perHostConcurrency, 32, "the fetcher's own default, in both");
  });
});
