import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import net from "node:net";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { ImapClient } from "../lib/imap/client.ts";
import { ImapConnectionError, type ImapError, isConnectionError } from "../lib/imap/errors.ts";
import { parseImapUrl } from "../lib/imap/imap_url.ts";
import { decodeMailboxName, encodeMailboxName } from "../lib/imap/mailbox_name.ts";
import { astring, internalDate } from "../lib/imap/command_syntax.ts";
import { ResponseReader } from "../lib/imap/response_reader.ts";
import { parseResponse } from "../lib/imap/response_parser.ts";
import { checkPlaintextLogin } from "../lib/imap/tls_policy.ts";
import { headerValue } from "../lib/imap/header_value.ts";
import { dovecotSkip, type RunningDovecot, startDovecot } from "./support/dovecot.ts";
import { startTcpProxy } from "./support/tcp_proxy.ts";
import { startFakeImapServer } from "./support/fake_imap_server.ts";

const enc = new TextEncoder();
// Quotes, a backslash, a space, @, % and non-ASCII: exercises URL decoding and, because of the 8-bit
// characters, AUTHENTICATE PLAIN (ASCII passwords, as in upload_imap_test.ts, go through LOGIN).
const PASSWORD = 'p@ss "w\\rd" %1 ü';

function message(i: number, size = 5_000): Uint8Array {
  const body = `Message ${i}\r\n` + "lorem ipsum dolor sit amet\r\n".repeat(Math.ceil(size / 28));
  return enc.encode(
    `From: feed@example.org\r\nTo: me@example.org\r\nSubject: entry ${i}\r\n` +
      `X-Sluice-Entry-Id: urn:entry:${i}\r\nMessage-ID: <${i}@sluice>\r\n\r\n${body}`,
  );
}

describe("IMAP syntax (no server)", () => {
  test("parseImapUrl decodes credentials and picks default ports", () => {
    const e = parseImapUrl("imap://bob%40example.org:s%3Acr%20t@mail.example.org");
    assert.deepEqual([e.user, e.password, e.host, e.port, e.implicitTls, e.tls], [
      "bob@example.org",
      "s:cr t",
      "mail.example.org",
      143,
      false,
      "auto",
    ]); // deno-fmt-ignore
    assert.equal(parseImapUrl("imaps://u:p@[::1]").port, 993);
    assert.equal(parseImapUrl("imaps://u:p@[::1]").host, "::1");
    assert.equal(parseImapUrl("imap://u:p@127.0.0.1:1143/?tls=off").tls, "off");
  });

  test("parseImapUrl rejects other schemes and unknown options without showing the password", () => {
    for (
      const bad of [
        "http://u:hunter2@h",
        "imap://u:hunter2@h/?tls=maybe",
        "imap://u:hunter2@h/?foo=1",
        "imap://h",
      ]
    ) {
      assert.throws(() => parseImapUrl(bad), (e: ImapError) => {
        assert.equal(e.code, "E_IMAP_URL");
        assert.ok(!e.message.includes("hunter2"), e.message);
        return true;
      });
    }
  });

  test("a plaintext login is refused for remote hosts, tls=off included: no option allows it", () => {
    const remote = parseImapUrl("imap://bob:pw@mail.example.org");
    assert.throws(
      () => checkPlaintextLogin(remote),
      (e: ImapError) => e.code === "E_IMAP_PLAINTEXT" && !!e.hint,
    );
    for (const host of ["mail.example.org", "10.0.0.5", "[2001:db8::1]", "128.0.0.1"]) {
      assert.throws(
        () => parseImapUrl(`imap://bob:pw@${host}/?tls=off`),
        (e: ImapError) =>
          e.code === "E_IMAP_PLAINTEXT" && /unencrypted/.test(e.message) && /STARTTLS/.test(e.hint ?? "") &&
          /imaps:\/\//.test(e.hint ?? "") && !e.message.includes(":pw@"),
        host,
      );
    }
    for (const host of ["localhost", "[::1]", "127.0.0.1", "127.8.9.10", "LOCALHOST"]) {
      checkPlaintextLogin(parseImapUrl(`imap://bob:pw@${host}/?tls=off`));
      checkPlaintextLogin(parseImapUrl(`imap://bob:pw@${host}`));
    }
    assert.throws(() => checkPlaintextLogin(parseImapUrl("imap://bob:pw@127.0.0.1/?tls=starttls")), {
      code: "E_IMAP_TLS",
    });
  });

  test("responses with literals are framed across chunk boundaries", () => {
    const reader = new ResponseReader();
    const wire = enc.encode(
      "* 1 FETCH (UID 7 BODY[HEADER.FIELDS (X-A)] {12}\r\nX-A: 1\r\n\r\n\r\n)\r\nS1 OK [APPENDUID 9 3:5] done\r\n",
    );
    const frames = [];
    for (let i = 0; i < wire.length; i += 5) frames.push(...reader.push(wire.subarray(i, i + 5)));
    assert.equal(frames.length, 2);
    const fetch = parseResponse(frames[0]);
    assert.equal(fetch.kind, "FETCH");
    assert.equal(fetch.number, 1);
    const items = fetch.values[0] as unknown[];
    assert.equal(items[2], "BODY[HEADER.FIELDS (X-A)]");
    assert.equal(new TextDecoder().decode(items[3] as Uint8Array), "X-A: 1\r\n\r\n\r\n");
    const done = parseResponse(frames[1]);
    assert.deepEqual([done.tag, done.status, done.code, done.text], ["S1", "OK", "APPENDUID 9 3:5", "done"]);
  });

  test("header values are unfolded and MIME-decoded", () => {
    assert.equal(headerValue("A: 1\r\nX-Id: =?UTF-8?Q?caf=C3=A9?= =?UTF-8?B?IMO8?=\r\n", "x-id"), "café ü");
    assert.equal(headerValue("X-ID:\r\n https://e.org/a\r\n", "X-Id"), "https://e.org/a");
    assert.equal(headerValue("X-Id: a b\r\n c\r\n", "X-Id"), "a b c");
    assert.equal(headerValue("X-Id: =?ISO-8859-1?Q?=FC_x?=\r\n", "X-Id"), "ü x");
    assert.equal(headerValue("Y: 1\r\n", "X-Id"), undefined);
  });

  test("mailbox names use modified UTF-7 and arguments are quoted or sent as literals", () => {
    assert.equal(encodeMailboxName("Nachrichten/Übersicht & mehr"), "Nachrichten/&ANw-bersicht &- mehr");
    assert.equal(decodeMailboxName(encodeMailboxName("日本語.Ünï")), "日本語.Ünï");
    assert.equal(astring("bob"), "bob");
    assert.equal(astring('a "b" \\c'), '"a \\"b\\" \\\\c"');
    assert.ok(typeof astring("pässword") === "object");
    assert.equal(internalDate(new Date("2024-03-05T07:08:09Z")), '"05-Mar-2024 07:08:09 +0000"');
  });
});

describe("IMAP client against a private Dovecot", { skip: dovecotSkip() }, () => {
  let dove: RunningDovecot;
  /** URL that skips STARTTLS (plaintext is fine on loopback with tls=off). */
  let plainUrl: string;
  before(async () => {
    dove = await startDovecot({ tls: true, fsync: false, password: PASSWORD });
    plainUrl = `${dove.url}/?tls=off`;
  });
  after(async () => {
    await dove?.stop();
  });

  test("logs in over STARTTLS verified with the test CA and reads capabilities", async () => {
    // tls=starttls: on loopback, tls=auto would stay in plaintext.
    const client = await ImapClient.connect(`${dove.url}/?tls=starttls`, { ca: dove.caCertPem });
    try {
      assert.equal(client.secure, true);
      for (const cap of ["IMAP4REV1", "LITERAL+", "MULTIAPPEND", "UIDPLUS"]) {
        assert.ok(client.capabilities.has(cap), cap);
      }
      assert.equal(await client.delimiter(), ".");
    } finally {
      await client.logout();
    }
  });

  test("STARTTLS without the CA fails certificate verification", async () => {
    await assert.rejects(ImapClient.connect(`${dove.url}/?tls=starttls`), (e: ImapError) => {
      assert.equal(e.code, "E_IMAP_TLS");
      assert.ok(!isConnectionError(e));
      return true;
    });
  });

  test("imaps verifies with the test CA and fails without it", async () => {
    const url = `imaps://${encodeURIComponent(dove.user)}:${
      encodeURIComponent(PASSWORD)
    }@127.0.0.1:${dove.tlsPort}`;
    const client = await ImapClient.connect(url, { ca: dove.caCertPem });
    assert.equal(client.secure, true);
    await client.logout();
    await assert.rejects(ImapClient.connect(url), { code: "E_IMAP_TLS" });
  });

  test("wrong password: ImapError names user and host but never the password", async () => {
    const wrong = "Wr0ng-secret-42";
    const url = `imap://${dove.user}:${wrong}@127.0.0.1:${dove.port}/?tls=off`;
    await assert.rejects(ImapClient.connect(url), (e: ImapError) => {
      assert.equal(e.code, "E_IMAP_AUTH");
      assert.ok(e.message.includes(dove.user) && e.message.includes("127.0.0.1"), e.message);
      assert.ok(!`${e.message} ${e.hint} ${e.stack}`.includes(wrong), e.message);
      assert.ok(!isConnectionError(e));
      return true;
    });
  });

  test("on loopback tls=auto stays in plaintext even when STARTTLS is offered", async () => {
    const client = await ImapClient.connect(dove.url);
    assert.equal(client.secure, false);
    await client.logout();
  });

  test("creates nested folders, parents included", async () => {
    const client = await ImapClient.connect(plainUrl);
    try {
      assert.equal(client.secure, false);
      await client.ensureMailbox("Feeds.Tech.Blogs");
      await client.ensureMailbox("Feeds.Tech.Blogs"); // again: no error
      const names = (await client.list("Feeds*")).map((m) => m.name).sort();
      assert.deepEqual(names, ["Feeds", "Feeds.Tech", "Feeds.Tech.Blogs"]);
    } finally {
      await client.logout();
    }
  });

  test("appends one message with flags and its date as INTERNALDATE", async () => {
    const client = await ImapClient.connect(plainUrl);
    try {
      await client.ensureMailbox("Dated");
      const r = await client.append("Dated", [{
        raw: message(1),
        date: new Date("2021-06-07T08:09:10Z"),
        flags: ["\\Seen"],
      }]);
      assert.equal(r.uids?.length, 1);
      const dates = await client.internalDates("Dated");
      assert.equal(dates.get(r.uids![0]), "07-Jun-2021 08:09:10 +0000");
      // Dovecot stores \Seen messages in cur/ with the S flag in the file name.
      const files = await readdir(path.join(dove.mailRoot, ".Dated", "cur"));
      assert.equal(files.length, 1);
      assert.match(files[0], /:2,S$/);
    } finally {
      await client.logout();
    }
  });

  test("MULTIAPPEND stores 100 messages in one command", async () => {
    const client = await ImapClient.connect(plainUrl);
    try {
      await client.ensureMailbox("Multi");
      const msgs = Array.from(
        { length: 100 },
        (_, i) => ({ raw: message(i), date: new Date(Date.UTC(2024, 0, 1, 0, i)) }),
      );
      const r = await client.append("Multi", msgs);
      assert.equal(r.mode, "multiappend");
      assert.equal(r.uids?.length, 100);
      assert.equal((await client.status("Multi")).messages, 100);
    } finally {
      await client.logout();
    }
  });

  test("APPEND to a missing mailbox is refused with E_IMAP_NO [TRYCREATE], the connection stays usable", async () => {
    const client = await ImapClient.connect(plainUrl);
    try {
      await assert.rejects(client.append("Missing", [{ raw: message(1) }]), (e: ImapError) => {
        assert.equal(e.code, "E_IMAP_NO");
        assert.equal(e.responseCode, "TRYCREATE");
        assert.match(e.message, /^APPEND on sluice@127\.0\.0\.1:\d+ failed: NO \[TRYCREATE\]/);
        assert.ok(!isConnectionError(e));
        return true;
      });
      await client.noop();
    } finally {
      await client.logout();
    }
  });

  test("without MULTIAPPEND the APPENDs are pipelined and all arrive", async () => {
    const client = await ImapClient.connect(plainUrl, { disableMultiappend: true });
    try {
      await client.ensureMailbox("Piped");
      const r = await client.append("Piped", Array.from({ length: 40 }, (_, i) => ({ raw: message(i) })));
      assert.equal(r.mode, "pipelined");
      assert.deepEqual(r.uids, Array.from({ length: 40 }, (_, i) => i + 1));
      assert.equal((await client.status("Piped")).messages, 40);
      await assert.rejects(client.append("Piped", [{ raw: message(1) }], "multiappend"), RangeError);
    } finally {
      await client.logout();
    }
  });

  test("searching the entry-id header finds exactly the entry", async () => {
    const client = await ImapClient.connect(plainUrl);
    try {
      await client.ensureMailbox("Search");
      await client.append("Search", [3, 4, 5].map((i) => ({ raw: message(i) })));
      assert.deepEqual(await client.searchHeader("Search", "X-Sluice-Entry-Id", "urn:entry:4"), [2]);
      const many = await client.searchHeaderMany("Search", "X-Sluice-Entry-Id", [
        "urn:entry:3",
        "urn:entry:9",
        "urn:entry:5",
      ]);
      assert.deepEqual([...many], [["urn:entry:3", [1]], ["urn:entry:9", []], ["urn:entry:5", [3]]]);
      // A message appended after SELECT is seen by the next search.
      await client.append("Search", [{ raw: message(9) }]);
      assert.deepEqual(await client.searchHeader("Search", "X-Sluice-Entry-Id", "urn:entry:9"), [4]);
      const values = await client.headerValues("Search", [1, 4], "X-Sluice-Entry-Id");
      assert.deepEqual([...values], [[1, "urn:entry:3"], [4, "urn:entry:9"]]);
    } finally {
      await client.logout();
    }
  });

  test("a connection cut mid-batch rejects with ImapConnectionError, no hang", async () => {
    const proxy = await startTcpProxy(dove.port, { cutAfterClientBytes: 100_000 });
    try {
      const client = await ImapClient.connect(
        `imap://${encodeURIComponent(dove.user)}:${
          encodeURIComponent(PASSWORD)
        }@127.0.0.1:${proxy.port}/?tls=off`,
      );
      const msgs = Array.from({ length: 100 }, (_, i) => ({ raw: message(i) })); // ~500 kB: cut inside
      for (const mode of ["auto", "pipelined"] as const) {
        await assert.rejects(client.append("INBOX", msgs, mode), (e: unknown) => {
          assert.ok(e instanceof ImapConnectionError, String(e));
          assert.ok(isConnectionError(e));
          assert.match(e.message, /APPEND/);
          return true;
        });
      }
      assert.equal(client.broken, true);
      await client.close();
    } finally {
      await proxy.close();
    }
  });
});

describe("IMAP client without LITERAL+ (fake server)", () => {
  test("synchronising literals wait for '+' (login and MULTIAPPEND)", async () => {
    const fake = await startFakeImapServer();
    try {
      const client = await ImapClient.connect(
        `imap://bob:${encodeURIComponent('a"b')}@127.0.0.1:${fake.port}`,
      );
      const r = await client.append("INBOX", [{ raw: enc.encode("A: 1\r\n\r\nx\r\n") }, {
        raw: enc.encode("B: 2\r\n\r\ny\r\n"),
      }]);
      assert.equal(r.mode, "multiappend");
      await client.logout();
      assert.equal(fake.earlyLiteral, false);
      assert.deepEqual(fake.commands.map((c) => c.replace(/^S\d+ /, "")), [
        'LOGIN bob "a\\"b"',
        "APPEND INBOX {11}A: 1\r\n\r\nx\r\n {11}B: 2\r\n\r\ny\r\n",
        "LOGOUT",
      ]);
    } finally {
      await fake.close();
    }
  });

  test("a NO instead of '+' ends the command and the next one still works", async () => {
    const fake = await startFakeImapServer({ refuseOver: 100 });
    try {
      const client = await ImapClient.connect(`imap://bob:pw@127.0.0.1:${fake.port}`);
      const big = enc.encode("X: y\r\n\r\n" + "z".repeat(500));
      await assert.rejects(client.append("INBOX", [{ raw: big }]), {
        code: "E_IMAP_NO",
        responseCode: "TOOBIG",
      });
      await client.noop();
      await client.logout();
      assert.ok(!fake.commands.some((c) => c.includes("zzz")));
    } finally {
      await fake.close();
    }
  });
});

describe("IMAP client with LITERAL+ (fake server)", () => {
  test("BAD after literal data was sent unasked breaks the connection instead of desynchronising", async () => {
    const fake = await startFakeImapServer({ literalPlus: true, refuseOver: 100 });
    try {
      const client = await ImapClient.connect(`imap://bob:pw@127.0.0.1:${fake.port}`);
      const big = enc.encode("X: y\r\n\r\n" + "z".repeat(500));
      await assert.rejects(client.append("INBOX", [{ raw: big }]), (e: ImapError) => {
        assert.equal(e.code, "E_IMAP_BAD");
        assert.ok(!isConnectionError(e));
        return true;
      });
      assert.equal(client.broken, true);
      await assert.rejects(client.noop(), ImapConnectionError);
      await client.close();
    } finally {
      await fake.close();
    }
  });

  test("internal dates outside years 1000-9999 are refused before anything is sent", () => {
    assert.throws(() => internalDate(new Date("0001-01-01T00:00:00Z")), RangeError);
    assert.throws(() => internalDate(new Date("x")), RangeError);
  });
});

describe("IMAP client without a server", () => {
  test("a refused connection is a connection error naming the server", async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r())); // now nothing listens there
    await assert.rejects(ImapClient.connect(`imap://bob:hunter2@127.0.0.1:${port}`), (e: ImapError) => {
      assert.ok(isConnectionError(e));
      assert.match(e.message, new RegExp(`^bob@127\\.0\\.0\\.1:${port}: cannot connect`));
      assert.ok(!e.message.includes("hunter2"));
      return true;
    });
  });
});

describe("IMAP client timeouts (fake server)", () => {
  test("a silent server rejects the command with a timeout, as a connection error", async () => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on("error", () => {});
      s.write("* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] fake ready\r\n"); // then never answers
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await assert.rejects(
        ImapClient.connect(`imap://u:secret@127.0.0.1:${port}`, { commandTimeoutMs: 150 }),
        (e: ImapError) => {
          assert.equal(e.code, "E_IMAP_TIMEOUT");
          assert.ok(isConnectionError(e));
          assert.ok(!e.message.includes("secret"));
          return true;
        },
      );
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
