/**
 * rss2imap logging in with OAuth2 against a real Dovecot that checks tokens at a local introspection
 * endpoint: a token from `token-command` (XOAUTH2), a refresh token exchanged at a token endpoint
 * (OAUTHBEARER), and a refused token ending the CLI run with exit 3 and a hint, the token never shown.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runPipeline, silentLogger } from "../engine/pipeline/mod.ts";
import { loadPipeline } from "../cli/load.ts";
import { EXIT } from "../cli/exit_codes.ts";
import { dovecotSkip, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { type FeedFarm, startFeedFarm } from "./support/feed_farm.ts";
import { readMaildir } from "./support/maildir_reader.ts";
import { type OAuth2Provider, startOAuth2Provider } from "./support/oauth2_provider.ts";
import { runCliChild } from "./support/cli_child.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const yamlFile = path.join(repo, "pipelines", "rss2imap.yaml");

describe("rss2imap with OAuth2 against Dovecot", { skip: dovecotSkip() }, () => {
  let dove: RunningDovecot;
  let provider: OAuth2Provider;
  let farm: FeedFarm;
  let dir = "";
  let url = "";
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-oauth-"));
    provider = await startOAuth2Provider();
    dove = await startDovecot({ fsync: false, oauth2IntrospectionUrl: provider.introspectionUrl });
    farm = await startFeedFarm({ feeds: 2, entries: 3, images: 1, latencyMs: 1 });
    await writeFile(path.join(dir, "feeds.txt"), farm.feedListText);
    url = `imap://${dove.user}@127.0.0.1:${dove.port}`; // no password in the URL
  });
  after(async () => {
    await farm?.close();
    await dove?.stop();
    await provider?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(env: Record<string, string>) {
    const { pipeline } = await loadPipeline(yamlFile, {
      FEEDS: path.join(dir, "feeds.txt"),
      IMAP_URL: url,
      ...env,
    });
    return await runPipeline(pipeline, { logger: silentLogger, measureLag: false });
  }

  test("token-command with XOAUTH2: every entry arrives", async () => {
    const token = provider.issue(dove.user);
    const summary = await run({
      STATE_DIR: path.join(dir, "state-command"),
      IMAP_TOKEN_COMMAND: `echo ${token}`,
      IMAP_SASL: "xoauth2",
    });
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    assert.equal((await readMaildir(dove.mailRoot)).length, 2 * 3);
  });

  test("a refresh token with OAUTHBEARER: one refresh for the run, every entry arrives", async () => {
    provider.addRefreshToken("rt-rss2imap", "rss2imap-client", dove.user);
    const before = provider.refreshes;
    const summary = await run({
      STATE_DIR: path.join(dir, "state-refresh"), // a fresh state: every entry again
      IMAP_REFRESH_TOKEN: "rt-rss2imap",
      IMAP_TOKEN_URL: provider.tokenUrl,
      IMAP_CLIENT_ID: "rss2imap-client",
      IMAP_CLIENT_SECRET: "client-secret",
      IMAP_SASL: "oauthbearer",
    });
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    assert.equal((await readMaildir(dove.mailRoot)).length, 2 * 2 * 3);
    assert.equal(provider.refreshes - before, 1, "both connections share the refreshed token");
  });

  test("a refused token: exit 3, the hint names token-command, the token is never printed", async () => {
    const bad = "at-revoked-0123456789";
    const result = await runCliChild(["run", yamlFile], {
      FEEDS: path.join(dir, "feeds.txt"),
      IMAP_URL: url,
      STATE_DIR: path.join(dir, "state-refused"),
      IMAP_TOKEN_COMMAND: `echo ${bad}`,
    });
    const out = result.stdout + result.stderr;
    assert.equal(result.code, EXIT.RUN_FAILED, out);
    assert.match(out, /OAuth2 login \(XOAUTH2\) as sluice on .* refused/);
    assert.match(out, /token-command/);
    assert.ok(!out.includes(bad), "the token was printed");
    assert.equal((await readMaildir(dove.mailRoot)).length, 2 * 2 * 3, "nothing more arrived");
  });
});
