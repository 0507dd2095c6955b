/**
 * The client's fallbacks, against a real Dovecot that hides one capability at a time (`imap_capability`):
 * without MULTIAPPEND one APPEND per message (pipelined), without LITERAL+ synchronising literals that
 * wait for the server's `+`, without UIDPLUS no UIDs trusted; in each case every message arrives, and the
 * bytes on the wire (recorded by a proxy) show the fallback was taken.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { ImapClient } from "../lib/imap/client.ts";
import { ImapUploader } from "../lib/imap/uploader.ts";
import type { MailMessage } from "../lib/mime/mod.ts";
import { dovecotSkip, startDovecot } from "./support/dovecot.ts";
import { startTcpProxy } from "./support/tcp_proxy.ts";

const enc = new TextEncoder();
const raw = (i: number) => enc.encode(`Subject: m${i}\r\nX-Sluice-Entry-Id: e${i}\r\n\r\nbody ${i}\r\n`);

function mail(i: number): MailMessage {
  return {
    folder: "News",
    raw: raw(i),
    date: new Date("2023-04-05T06:07:08Z"),
    feedUrl: "https://example.org/feed.xml",
    entryId: `e${i}`,
    messageId: `<e${i}@sluice>`,
  };
}

/** A Dovecot hiding `hidden`, a recording proxy before it, and a client through the proxy. */
async function through(hidden: string) {
  const dove = await startDovecot({ fsync: false, hideCapabilities: [hidden] });
  const proxy = await startTcpProxy(dove.port, { record: true });
  const url = `imap://${dove.user}:${dove.password}@127.0.0.1:${proxy.port}`;
  return {
    url,
    dove,
    proxy,
    async [Symbol.asyncDispose]() {
      await proxy.close();
      await dove.stop();
    },
  };
}

describe("IMAP fallbacks against a Dovecot hiding a capability", { skip: dovecotSkip() }, () => {
  test("without MULTIAPPEND: one APPEND per message, pipelined, all stored", async () => {
    await using s = await through("MULTIAPPEND");
    const client = await ImapClient.connect(s.url);
    try {
      assert.ok(!client.capabilities.has("MULTIAPPEND"));
      await client.ensureMailbox("News");
      const r = await client.append("News", Array.from({ length: 5 }, (_, i) => ({ raw: raw(i) })));
      assert.equal(r.mode, "pipelined");
      assert.equal((await client.status("News")).messages, 5);
      assert.equal(s.proxy.clientText.match(/ APPEND "?News"? /g)?.length, 5);
    } finally {
      await client.logout();
    }
  });

  test("without LITERAL+: synchronising literals, login and appends still work", async () => {
    await using s = await through("LITERAL+");
    const up = new ImapUploader({ url: s.url });
    await up.connect();
    try {
      const deliveries = await up.appendBatch("News", [1, 2, 3].map(mail));
      assert.equal(deliveries.length, 3);
    } finally {
      await up.close();
    }
    assert.match(s.proxy.clientText, /\{\d+\}\r\n/);
    assert.doesNotMatch(s.proxy.clientText, /\{\d+\+\}/);
    const client = await ImapClient.connect(s.url);
    assert.equal((await client.status("News")).messages, 3);
    await client.logout();
  });

  test("without UIDPLUS: no UIDs are trusted and every message is delivered", async () => {
    await using s = await through("UIDPLUS");
    const client = await ImapClient.connect(s.url);
    try {
      assert.ok(!client.capabilities.has("UIDPLUS"));
      await client.ensureMailbox("News");
      const r = await client.append("News", [1, 2].map((i) => ({ raw: raw(i) })));
      assert.equal(r.uids, undefined);
      const one = await client.append("News", [{ raw: raw(3) }]);
      assert.equal(one.uids, undefined);
      assert.equal((await client.status("News")).messages, 3);
    } finally {
      await client.logout();
    }
    const up = new ImapUploader({ url: s.url });
    await up.connect();
    try {
      assert.equal((await up.appendBatch("News", [4, 5].map(mail))).length, 2);
    } finally {
      await up.close();
    }
  });
});
