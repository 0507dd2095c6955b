import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import net from "node:net";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DryRunWriter, MaildirError, maildirFolderDir, MaildirWriter } from "../lib/maildir/writer.ts";
import { composeMessage } from "../lib/mime/mod.ts";
import type { MailMessage } from "../lib/mime/mod.ts";
import { dovecotSkip, startDovecot } from "./support/dovecot.ts";

let scratch: string;
before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "sluice-maildir-"));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

let dirCount = 0;
const freshDir = () => path.join(scratch, `m${++dirCount}`);

function message(n: number, folder = "News", date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5))): MailMessage {
  const subject = `Entry ${n}: Café crème`;
  return {
    folder,
    raw: new TextEncoder().encode(`Subject: ${n}\r\nMessage-ID: <${n}@sluice>\r\n\r\nbody ${n}\r\n`),
    date,
    feedUrl: "https://example.org/feed.xml",
    entryId: String(n),
    messageId: `<${n}@sluice>`,
    subject,
  };
}

describe("maildirFolderDir", () => {
  test("maps folder names to Maildir++ directories", () => {
    const cases: Array<[string, string]> = [
      ["INBOX", ""],
      ["inbox", ""],
      ["", ""],
      ["News", ".News"],
      ["Tech/Blogs", ".Tech.Blogs"],
      ["Tech.Blogs", ".Tech.Blogs"],
      ["INBOX/News", ".News"],
      ["INBOX.News", ".News"],
      ["/.hidden//x/ ", ".hidden.x"],
      ["../../etc/passwd", ".etc.passwd"],
      [" Spaced  Name / Sub ", ".Spaced  Name.Sub"],
      ["Café", ".Caf&AOk-"],
      ["日本", ".&ZeVnLA-"],
      ["A&B", ".A&-B"],
      ["back\\slash\u0001", ".back_slash_"],
    ];
    for (const [folder, dir] of cases) assert.equal(maildirFolderDir(folder), dir, folder);
  });

  test("a name with nothing left is an error that names the folder", () => {
    assert.throws(() => maildirFolderDir("..."), (e: unknown) => {
      assert.ok(e instanceof MaildirError);
      assert.equal(e.code, "E_MAILDIR_FOLDER");
      assert.match(e.message, /"\.\.\."/);
      assert.ok(e.hint);
      return true;
    });
  });
});

describe("MaildirWriter", () => {
  test("writes atomically into new/, leaves tmp/ empty, keeps the bytes and sets the mtime", async () => {
    const root = freshDir();
    const writer = new MaildirWriter(root);
    const msg = message(1, "Tech/Blogs");
    const delivery = await writer.write(msg);
    const folder = path.join(root, ".Tech.Blogs");
    assert.equal(path.dirname(delivery.location), path.join(folder, "new"));
    assert.deepEqual(await readdir(path.join(folder, "tmp")), []);
    assert.deepEqual(await readdir(path.join(folder, "cur")), []);
    assert.deepEqual(await readdir(path.join(folder, "new")), [path.basename(delivery.location)]);
    assert.deepEqual(new Uint8Array(await readFile(delivery.location)), msg.raw);
    assert.equal((await stat(delivery.location)).mtime.getTime(), msg.date.getTime());
    assert.match(path.basename(delivery.location), new RegExp(`,S=${msg.raw.byteLength}$`));
    assert.ok((await stat(path.join(folder, "maildirfolder"))).isFile());
    assert.equal(delivery.message, msg);
  });

  test("INBOX is the root itself", async () => {
    const root = freshDir();
    const delivery = await new MaildirWriter(root, { fsync: false }).write(message(1, "INBOX"));
    assert.equal(path.dirname(delivery.location), path.join(root, "new"));
    for (const d of ["tmp", "cur"]) assert.ok((await stat(path.join(root, d))).isDirectory());
  });

  test("concurrent writes from two writers get unique names and all land", async () => {
    const root = freshDir();
    const a = new MaildirWriter(root, { fsync: false });
    const b = new MaildirWriter(root, { fsync: false });
    const msgs = Array.from({ length: 120 }, (_, i) => message(i, i % 3 === 0 ? "INBOX" : "News"));
    const deliveries = await Promise.all([
      ...msgs.slice(0, 40).map((m) => a.write(m)),
      ...msgs.slice(40, 80).map((m) => b.write(m)),
      a.writeBatch(msgs.slice(80)),
    ]).then((r) => r.flat());
    assert.equal(new Set(deliveries.map((d) => d.location)).size, 120);
    const inNew = [
      ...(await readdir(path.join(root, "new"))),
      ...(await readdir(path.join(root, ".News", "new"))),
    ];
    assert.equal(inNew.length, 120);
    for (const d of deliveries) {
      assert.equal(await readFile(d.location, "utf8"), new TextDecoder().decode(d.message.raw));
    }
  });

  test("writeBatch returns deliveries in input order and syncs", async () => {
    const root = freshDir();
    const msgs = Array.from({ length: 30 }, (_, i) => message(i, `F${i % 4}`));
    const deliveries = await new MaildirWriter(root, { concurrency: 4 }).writeBatch(msgs);
    assert.deepEqual(deliveries.map((d) => d.message), msgs);
    for (const d of deliveries) {
      assert.ok(d.location.startsWith(path.join(root, `.${d.message.folder}`, "new") + path.sep));
    }
  });

  test("a failed rename raises E_MAILDIR_WRITE naming the folder and cleans tmp/", async () => {
    const root = freshDir();
    const writer = new MaildirWriter(root, { fsync: false });
    await writer.write(message(1));
    const folder = path.join(root, ".News");
    await rm(path.join(folder, "new"), { recursive: true });
    await writeFile(path.join(folder, "new"), "not a directory");
    await assert.rejects(writer.write(message(2)), (e: unknown) => {
      assert.ok(e instanceof MaildirError);
      assert.equal(e.code, "E_MAILDIR_WRITE");
      assert.match(e.message, /folder "News"/);
      return true;
    });
    assert.deepEqual(await readdir(path.join(folder, "tmp")), []);
  });
});

describe("DryRunWriter", () => {
  test("writes numbered .eml files per folder with the message bytes", async () => {
    const dir = freshDir();
    const writer = new DryRunWriter(dir);
    const deliveries = await writer.writeBatch([
      message(1),
      message(2),
      message(3, "Tech/Blogs"),
      message(4, "INBOX"),
      message(6, "/Café/"),
    ]);
    assert.deepEqual(deliveries.map((d) => path.relative(dir, d.location)), [
      path.join("News", "0001-entry-1-cafe-creme.eml"),
      path.join("News", "0002-entry-2-cafe-creme.eml"),
      path.join("Tech.Blogs", "0001-entry-3-cafe-creme.eml"),
      path.join("INBOX", "0001-entry-4-cafe-creme.eml"),
      path.join("Café", "0001-entry-6-cafe-creme.eml"),
    ]);
    assert.equal(await readFile(deliveries[0].location, "utf8"), new TextDecoder().decode(message(1).raw));
    assert.equal((await stat(deliveries[0].location)).mtime.getTime(), message(1).date.getTime());
    const untitled = await writer.write({ ...message(5), subject: undefined });
    assert.equal(path.basename(untitled.location), "0003-message.eml");
  });
});

/** A bare IMAP line client: enough to LOGIN, LIST, SELECT and FETCH what Dovecot made of the files. */
async function imapSession(port: number) {
  const socket = net.connect({ host: "127.0.0.1", port });
  let buffer = "";
  let waiting: { done: RegExp; resolve: (s: string) => void } | undefined;
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    const m = waiting && waiting.done.exec(buffer);
    if (waiting && m) {
      const text = buffer.slice(0, m.index + m[0].length);
      buffer = buffer.slice(text.length);
      const w = waiting;
      waiting = undefined;
      w.resolve(text);
    }
  });
  const until = (done: RegExp) =>
    new Promise<string>((resolve) => {
      waiting = { done, resolve };
      socket.emit("data", "");
    });
  await until(/^\* OK[^\r]*\r\n/m);
  let n = 0;
  return {
    async command(cmd: string): Promise<string> {
      const tag = `A${++n}`;
      socket.write(`${tag} ${cmd}\r\n`);
      const reply = await until(new RegExp(`^${tag} (OK|NO|BAD)[^\r]*\r\n`, "m"));
      assert.match(reply, new RegExp(`^${tag} OK`, "m"), `${cmd} -> ${reply}`);
      return reply;
    },
    close: () => new Promise<void>((resolve) => socket.end(() => resolve())),
  };
}

describe("MaildirWriter with Dovecot", { skip: dovecotSkip() }, () => {
  test("Dovecot lists the folders, counts the messages and takes the file mtime as INTERNALDATE", async () => {
    const dove = await startDovecot({ fsync: false });
    try {
      const writer = new MaildirWriter(dove.mailRoot, { fsync: false });
      const folders = ["INBOX", "Tech/Blogs", "Tech/Blogs", "Café", "INBOX"];
      const composed = await Promise.all(folders.map((folder, i) =>
        composeMessage({
          feed: { url: "https://example.org/feed.xml", folder },
          feedTitle: "Example",
          entry: {
            id: `e${i}`,
            title: `Entry ${i}`,
            published: `2024-03-0${i + 1}T10:00:00Z`,
            enclosures: [],
          },
          images: [],
        })
      ));
      await writer.writeBatch(composed);
      // Dovecot runs as the mail user, which must own the files to move them from new/ to cur/.
      const owner = await stat(path.dirname(path.dirname(dove.mailRoot)));
      assert.equal(spawnSync("chown", ["-R", `${owner.uid}:${owner.gid}`, dove.mailRoot]).status, 0);

      const imap = await imapSession(dove.port);
      try {
        await imap.command(`LOGIN ${dove.user} ${dove.password}`);
        const list = await imap.command('LIST "" "*"');
        for (const name of ["INBOX", "Tech.Blogs", "Caf&AOk-"]) {
          assert.match(list, new RegExp(`"?${name}"?\\r\\n`));
        }
        for (const [mailbox, count] of [["INBOX", 2], ["Tech.Blogs", 2], ["Caf&AOk-", 1]] as const) {
          assert.match(await imap.command(`SELECT "${mailbox}"`), new RegExp(`\\* ${count} EXISTS`), mailbox);
        }
        await imap.command('SELECT "Tech.Blogs"');
        const fetched = await imap.command("FETCH 1:* (INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
        const dates = [...fetched.matchAll(/INTERNALDATE "([^"]+)"/g)].map((m) => m[1]).sort();
        assert.deepEqual(dates, ["02-Mar-2024 10:00:00 +0000", "03-Mar-2024 10:00:00 +0000"]);
        for (const msg of [composed[1], composed[2]]) assert.ok(fetched.includes(msg.messageId));
        await imap.command("LOGOUT");
      } finally {
        await imap.close();
      }
    } finally {
      await dove.stop();
    }
  });
});
