/**
 * OAuth2 logins against a real Dovecot checking tokens at a local introspection endpoint: SASL XOAUTH2
 * and OAUTHBEARER, tokens from a command or refreshed at a token endpoint, and a refused token giving a
 * clear error that names the fix and never the token.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { ImapClient } from "../lib/imap/client.ts";
import { ImapError } from "../lib/imap/errors.ts";
import { tokenFromCommand, tokenFromRefresh } from "../lib/imap/oauth_token.ts";
import { dovecotSkip, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { type OAuth2Provider, startOAuth2Provider } from "./support/oauth2_provider.ts";

describe("OAuth2 IMAP login against Dovecot", { skip: dovecotSkip() }, () => {
  let dove: RunningDovecot;
  let provider: OAuth2Provider;
  let url = "";
  before(async () => {
    provider = await startOAuth2Provider();
    dove = await startDovecot({ fsync: false, oauth2IntrospectionUrl: provider.introspectionUrl });
    url = `imap://${dove.user}@127.0.0.1:${dove.port}`; // no password: the token replaces it
  });
  after(async () => {
    await dove?.stop();
    await provider?.close();
  });

  for (const mechanism of ["XOAUTH2", "OAUTHBEARER"] as const) {
    test(`${mechanism} with a token from a command logs in`, async () => {
      const token = provider.issue(dove.user);
      const client = await ImapClient.connect(url, {
        oauth: { token: tokenFromCommand(`echo ${token}`), mechanism },
      });
      assert.ok(client.capabilities.has("IMAP4REV1"));
      await client.ensureMailbox("OAuth");
      await client.logout();
    });
  }

  test("the server's choice: XOAUTH2 when offered", async () => {
    const client = await ImapClient.connect(url, {
      oauth: { token: { accessToken: () => Promise.resolve(provider.issue(dove.user)) } },
    });
    await client.logout();
  });

  test("a refresh token is exchanged once at the token endpoint and the access token reused", async () => {
    provider.addRefreshToken("rt-good", "sluice-client", dove.user);
    const token = tokenFromRefresh({
      tokenUrl: provider.tokenUrl,
      clientId: "sluice-client",
      clientSecret: "s3cret",
      refreshToken: "rt-good",
    });
    const before = provider.refreshes;
    for (const mechanism of ["XOAUTH2", "OAUTHBEARER"] as const) {
      const client = await ImapClient.connect(url, { oauth: { token, mechanism } });
      await client.logout();
    }
    assert.equal(provider.refreshes - before, 1);
  });

  for (const mechanism of ["XOAUTH2", "OAUTHBEARER"] as const) {
    test(`${mechanism}: a refused token is E_IMAP_AUTH with a hint, without the token`, async () => {
      const bad = "at-not-issued-by-the-provider";
      await assert.rejects(
        ImapClient.connect(url, { oauth: { token: tokenFromCommand(`echo ${bad}`), mechanism } }),
        (e: unknown) => {
          assert.ok(e instanceof ImapError);
          assert.equal(e.code, "E_IMAP_AUTH");
          assert.equal(e.stopsRun, true);
          assert.match(e.message, new RegExp(`OAuth2 login \\(${mechanism}\\) as sluice on .* refused`));
          assert.match(e.hint ?? "", /token-command/);
          assert.ok(!e.message.includes(bad) && !(e.hint ?? "").includes(bad));
          return true;
        },
      );
    });
  }

  test("a refused refresh token and a failing command are E_IMAP_AUTH naming what to fix", async () => {
    await assert.rejects(
      ImapClient.connect(url, {
        oauth: {
          token: tokenFromRefresh({ tokenUrl: provider.tokenUrl, clientId: "x", refreshToken: "rt-bad" }),
        },
      }),
      (e: unknown) => {
        assert.ok(e instanceof ImapError);
        assert.equal(e.code, "E_IMAP_AUTH");
        assert.match(e.message, /HTTP 400: invalid_grant/);
        assert.ok(!e.message.includes("rt-bad"));
        assert.match(e.hint ?? "", /refresh-token/);
        return true;
      },
    );
    await assert.rejects(
      ImapClient.connect(url, { oauth: { token: tokenFromCommand("exit 7") } }),
      (e: unknown) =>
        e instanceof ImapError && e.code === "E_IMAP_AUTH" && /token command 'exit 7' failed/.test(e.message),
    );
  });
});
