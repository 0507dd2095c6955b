/**
 * The Maildir++ sink: each message becomes one file, written to `tmp/` and renamed into `new/` so a
 * reader (Dovecot, mutt) never sees half a message. Also the `--dry-run` writer that leaves `.eml`
 * files to look at.
 *
 * Folder mapping (Maildir++, as Dovecot and Courier lay it out):
 * - `INBOX` (any case) or an empty name is the root itself: `root/{tmp,new,cur}`;
 * - `Folder/Sub` and `Folder.Sub` are both `root/.Folder.Sub/` (`/` and `.` both separate levels);
 *   a leading `INBOX` level is dropped (`INBOX/News` is `.News`);
 * - levels are trimmed, empty levels dropped (so leading dots and `..` disappear), control characters
 *   and `\` become `_`, and non-ASCII names are stored in modified UTF-7 as IMAP servers expect
 *   (`Café` is `.Caf&AOk-`).
 * @module
 */
import { mkdir, open, readdir, rename, unlink, utimes, writeFile } from "node:fs/promises";
import { createHash, randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { SluiceError } from "../../engine/errors.ts";
import { encodeMailboxName } from "../imap/mailbox_name.ts";
import type { Delivery, MailMessage } from "../mime/types.ts";

/** Shared by all writers of this process, so two writers on one Maildir never pick the same name. */
let fileSequence = 0;

/** What the Maildir writer and the dry-run writer have in common: the sink side of a pipeline. */
export interface MessageWriter {
  /** Stores one message; resolves once it is in place. */
  write(msg: MailMessage): Promise<Delivery>;
  /** Stores many messages; resolves with their deliveries in input order. */
  writeBatch(msgs: readonly MailMessage[]): Promise<Delivery[]>;
  /**
   * Which of `msgs` the folder already holds, as deliveries (for messages whose outcome was lost in a
   * crash). A writer without it cannot tell, and its messages are written again.
   */
  findStored?(folder: string, msgs: readonly MailMessage[]): Promise<Delivery[]>;
  /**
   * Replaces the stored versions of a changed entry with `msg` (`on-update: replace`), flags kept. A
   * writer without it writes the new version beside the old one.
   */
  replaceEntry?(msg: MailMessage): Promise<Delivery>;
}

/** Options of {@link MaildirWriter}. */
export interface MaildirOptions {
  /**
   * fsync each file before the rename and the `new/` directory after it, so a delivered message
   * survives a power cut. Default true; benchmarks may turn it off.
   */
  fsync?: boolean;
  /** Host part of the unique file names. Default `os.hostname()`. */
  hostname?: string;
  /** Files written at once by `writeBatch`. Default 16. */
  concurrency?: number;
}

/**
 * A Maildir path or folder could not be written, or a folder name has nothing left after sanitising.
 *
 * @example
 * ```ts
 * import { MaildirError } from "./writer.ts";
 * const error = new MaildirError("E_MAILDIR_WRITE", "cannot write /mail/.News/tmp/x", "check permissions");
 * console.log(error.code, error.hint);
 * ```
 */
export class MaildirError extends SluiceError {}

/**
 * The Maildir++ directory of a folder, relative to the root (`""` for INBOX). See the module doc for
 * the mapping.
 *
 * @param folder folder name as configured (`News`, `Tech/Blogs`, `Tech.Blogs`, `INBOX`)
 * @returns `""` or `.Level1.Level2`
 * @throws MaildirError `E_MAILDIR_FOLDER` when a non-empty name has no level left after sanitising
 *
 * @example
 * ```ts
 * import { maildirFolderDir } from "./writer.ts";
 * maildirFolderDir("Tech/Blogs"); // ".Tech.Blogs"
 * maildirFolderDir("INBOX");      // ""
 * ```
 */
export function maildirFolderDir(folder: string): string {
  const levels = folderLevels(folder);
  return levels.length === 0 ? "" : `.${levels.map(encodeMailboxName).join(".")}`;
}

/**
 * Writes messages into a Maildir++ tree, creating folders (`tmp`, `new`, `cur`) as needed. Each file
 * is written to `tmp/` under a unique name, given the entry date as its mtime (Dovecot's INTERNALDATE),
 * then renamed into `new/`.
 *
 * @example
 * ```ts
 * import { MaildirWriter } from "./writer.ts";
 * const writer = new MaildirWriter("/tmp/mail");
 * // const delivery = await writer.write(message); // delivery.location: /tmp/mail/.News/new/1736...
 * ```
 */
export class MaildirWriter implements MessageWriter {
  /** Absolute path of the Maildir++ root, which is the INBOX; other folders are `.Name` directories in it. */
  readonly root: string;
  readonly #fsync: boolean;
  readonly #host: string;
  readonly #concurrency: number;
  readonly #folders = new Map<string, Promise<string>>();

  /**
   * A writer for the tree at `root`; nothing is touched on disk until the first write.
   * @param root the Maildir root (INBOX); created when missing
   * @param options fsync, host name, batch concurrency
   */
  constructor(root: string, options: MaildirOptions = {}) {
    this.root = path.resolve(root);
    this.#fsync = options.fsync ?? true;
    this.#host = (options.hostname ?? hostnameOrLocalhost()).replace(/\//g, "\\057").replace(/:/g, "\\072") ||
      "localhost";
    this.#concurrency = Math.max(1, options.concurrency ?? 16);
  }

  /**
   * Writes one message into its folder and returns where it is.
   *
   * @example
   * ```ts
   * import { MaildirWriter } from "./writer.ts";
   * const d = await new MaildirWriter("/tmp/mail").write({ folder: "News", raw: new TextEncoder().encode("Subject: x\r\n\r\nhi\r\n"),
   *   date: new Date(), feedUrl: "u", entryId: "1", messageId: "<1@sluice>" });
   * console.log(d.location);
   * ```
   */
  async write(msg: MailMessage): Promise<Delivery> {
    const delivery = await this.#deliver(msg);
    if (this.#fsync) await syncDirectory(path.dirname(delivery.location));
    return delivery;
  }

  /**
   * Writes many messages (up to `concurrency` at once) and syncs each touched `new/` directory once.
   * Fails with the first error; messages already renamed into `new/` stay delivered.
   *
   * @example
   * ```ts
   * import { MaildirWriter } from "./writer.ts";
   * const deliveries = await new MaildirWriter("/tmp/mail").writeBatch([]);
   * ```
   */
  async writeBatch(msgs: readonly MailMessage[]): Promise<Delivery[]> {
    const out = new Array<Delivery>(msgs.length);
    let next = 0;
    const worker = async () => {
      while (next < msgs.length) {
        const i = next++;
        out[i] = await this.#deliver(msgs[i]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, msgs.length) }, worker));
    if (this.#fsync) {
      const dirs = new Set(out.map((d) => path.dirname(d.location)));
      await Promise.all([...dirs].map(syncDirectory));
    }
    return out;
  }

  /**
   * The absolute directory of a folder (creating nothing).
   *
   * @example
   * ```ts
   * import { MaildirWriter } from "./writer.ts";
   * new MaildirWriter("/m").folderPath("Tech/Blogs"); // "/m/.Tech.Blogs"
   * ```
   */
  folderPath(folder: string): string {
    return path.join(this.root, maildirFolderDir(folder));
  }

  /**
   * Which of `msgs` are in `folder` (in `new/` or, once a mail reader saw them, `cur/`), found by the
   * Message-ID hash in their file names: one directory listing each, no file is read. Used after a crash
   * for the few messages whose delivery was not recorded; files written before sluice put the hash in
   * the name are not found.
   *
   * @example
   * ```ts
   * import { MaildirWriter } from "./writer.ts";
   * const there = await new MaildirWriter("/tmp/mail").findStored("News", []);
   * ```
   */
  async findStored(folder: string, msgs: readonly MailMessage[]): Promise<Delivery[]> {
    const dir = this.folderPath(folder);
    const names: Array<{ sub: string; name: string }> = [];
    for (const sub of ["new", "cur"]) {
      try {
        for (const name of await readdir(path.join(dir, sub))) names.push({ sub, name });
      } catch (cause) {
        if ((cause as { code?: string }).code !== "ENOENT") throw cause;
      }
    }
    const byMark = new Map<string, string>();
    for (const { sub, name } of names) {
      const mark = /\.[^.]*I([0-9a-f]{16})\./.exec(name)?.[1];
      if (mark) byMark.set(mark, path.join(dir, sub, name));
    }
    const found: Delivery[] = [];
    for (const message of msgs) {
      const location = byMark.get(messageIdMark(message.messageId));
      if (location) found.push({ message, location });
    }
    return found;
  }

  /**
   * Replaces the stored versions of a changed entry (`msg.version.update.mode` is `replace`): the files
   * of its Message-ID in the folder are found, the new version is written (into `cur/` with their flags,
   * the `:2,` letters, when one had any; else into `new/`), and the others are removed. Safe to repeat
   * after a crash at any point: a file that already holds this version (its name carries the content
   * hash) is kept instead of writing another, and every other copy goes.
   *
   * @param msg the composed new version
   * @returns its delivery
   * @throws MaildirError `E_MAILDIR_WRITE` when the file cannot be written
   * @example
   * ```ts
   * import { mkdtemp, rm } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import path from "node:path";
   * import { MaildirWriter } from "./writer.ts";
   * import type { MailMessage } from "../mime/types.ts";
   * const root = await mkdtemp(path.join(tmpdir(), "sluice-replace-"));
   * const writer = new MaildirWriter(root, { fsync: false });
   * const msg: MailMessage = { folder: "News", raw: new TextEncoder().encode("Subject: v2\r\n\r\nnew\r\n"),
   *   date: new Date(), feedUrl: "https://x/feed", entryId: "urn:1", messageId: "<1@sluice>",
   *   version: { hash: "0123456789abcdef0123456789abcdef", update: { mode: "replace", folder: "News" } } };
   * const delivery = await writer.replaceEntry(msg); // no earlier file: written into new/
   * await rm(root, { recursive: true, force: true });
   * ```
   */
  async replaceEntry(msg: MailMessage): Promise<Delivery> {
    const dir = await this.#ensureFolder(msg.folder);
    const mark = messageIdMark(msg.messageId);
    const hash = versionMark(msg);
    const copies: Array<{ file: string; name: string; flags: string; sub: string }> = [];
    for (const sub of ["new", "cur"]) {
      let names: string[] = [];
      try {
        names = await readdir(path.join(dir, sub));
      } catch (cause) {
        if ((cause as { code?: string }).code !== "ENOENT") throw cause;
      }
      for (const name of names) {
        if (/\.[^.]*I([0-9a-f]{16})\./.exec(name)?.[1] !== mark) continue;
        copies.push({
          file: path.join(dir, sub, name),
          name,
          sub,
          flags: /:2,([^:]*)$/.exec(name)?.[1] ?? "",
        });
      }
    }
    const current = copies.find((c) => hash !== undefined && c.name.includes(`V${hash}I`));
    let delivery: Delivery;
    if (current) delivery = { message: msg, location: current.file };
    else {
      // Flags are the letters after `:2,` (keywords too: a-z, by the folder's dovecot-keywords file).
      const letters = [...new Set(copies.flatMap((c) => [...c.flags]))].filter((f) => f !== "T").sort().join(
        "",
      );
      const seen = copies.some((c) => c.sub === "cur");
      delivery = await this.#deliver(msg, seen ? { sub: "cur", info: `:2,${letters}` } : undefined);
    }
    const old = copies.filter((c) => c !== current);
    for (const c of old) {
      await unlink(c.file).catch((e) => (e.code === "ENOENT" ? undefined : Promise.reject(e)));
    }
    if (this.#fsync) {
      await syncDirectory(path.dirname(delivery.location));
      for (const sub of new Set(old.map((c) => path.dirname(c.file)))) await syncDirectory(sub);
    }
    return delivery;
  }

  async #deliver(msg: MailMessage, into?: { sub: "cur"; info: string }): Promise<Delivery> {
    const dir = await this.#ensureFolder(msg.folder);
    const name = this.#uniqueName(msg);
    const tmp = path.join(dir, "tmp", name);
    const target = into ? path.join(dir, into.sub, name + into.info) : path.join(dir, "new", name);
    try {
      await writeExclusive(tmp, msg.raw, this.#fsync);
      const seconds = msg.date.getTime() / 1000;
      if (Number.isFinite(seconds)) await utimes(tmp, seconds, seconds);
      await rename(tmp, target);
    } catch (cause) {
      await unlink(tmp).catch(() => {});
      throw new MaildirError(
        "E_MAILDIR_WRITE",
        `cannot deliver ${msg.messageId} to folder ${JSON.stringify(msg.folder)} at ${target}: ${
          (cause as Error).message
        }`,
        `check that ${this.root} is writable and its file system has space`,
        { cause },
      );
    }
    return { message: msg, location: target };
  }

  /** Creates a folder once, even when many writes ask for it at the same time. */
  #ensureFolder(folder: string): Promise<string> {
    const rel = maildirFolderDir(folder);
    let ready = this.#folders.get(rel);
    if (!ready) {
      ready = createFolder(this.root, rel).catch((cause) => {
        this.#folders.delete(rel);
        throw new MaildirError(
          "E_MAILDIR_FOLDER",
          `cannot create folder ${JSON.stringify(folder)} at ${path.join(this.root, rel)}: ${cause.message}`,
          `check that ${this.root} exists or can be created, and is writable`,
          { cause },
        );
      });
      this.#folders.set(rel, ready);
    }
    return ready;
  }

  /**
   * `seconds.MmicrosPpidQseqRrandImark.host,S=size` (the Maildir convention, with `S=` as Dovecot reads
   * it): the sequence makes names unique within this process, pid and random bytes across processes;
   * the mark (a hash of the Message-ID) lets {@linkcode MaildirWriter.findStored} find the file again.
   */
  #uniqueName(msg: MailMessage): string {
    const now = Date.now();
    const rand = randomBytes(4).toString("hex");
    const version = versionMark(msg);
    return `${Math.floor(now / 1000)}.M${(now % 1000) * 1000}P${process.pid}Q${++fileSequence}R${rand}${
      version ? `V${version}` : ""
    }I${messageIdMark(msg.messageId)}.${this.#host},S=${msg.raw.byteLength}`;
  }
}

/**
 * Writes each message as `<dir>/<Folder>/<n>-<slug>.eml` for `--dry-run` previews, where `<Folder>` is
 * the sanitised folder levels joined by `.` (`Tech.Blogs`, `Café`; `INBOX` for the top level) and `n`
 * counts per folder.
 *
 * @example
 * ```ts
 * import { DryRunWriter } from "./writer.ts";
 * const preview = new DryRunWriter("/tmp/preview");
 * // await preview.write(message); // /tmp/preview/News/0001-hello-world.eml
 * ```
 */
export class DryRunWriter implements MessageWriter {
  /** Absolute path of the preview directory, one sub-directory per folder of `.eml` files. */
  readonly dir: string;
  readonly #counters = new Map<string, number>();
  readonly #created = new Map<string, Promise<unknown>>();

  /**
   * A writer that previews into `dir` instead of a real mailbox; nothing is written until the first message.
   * @param dir directory that receives one sub-directory per folder
   */
  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  /**
   * Writes one `.eml` file.
   *
   * @example
   * ```ts
   * import { DryRunWriter } from "./writer.ts";
   * const d = await new DryRunWriter("/tmp/preview").write({ folder: "News", raw: new Uint8Array(),
   *   date: new Date(), feedUrl: "u", entryId: "1", messageId: "<1@sluice>", subject: "Hello" });
   * ```
   */
  async write(msg: MailMessage): Promise<Delivery> {
    const folder = folderLevels(msg.folder).join(".") || "INBOX";
    const n = (this.#counters.get(folder) ?? 0) + 1;
    this.#counters.set(folder, n);
    const folderDir = path.join(this.dir, folder);
    let created = this.#created.get(folder);
    if (!created) this.#created.set(folder, created = mkdir(folderDir, { recursive: true }));
    const file = path.join(folderDir, `${String(n).padStart(4, "0")}-${slug(msg.subject ?? "")}.eml`);
    try {
      await created;
      await writeFile(file, msg.raw);
      const seconds = msg.date.getTime() / 1000;
      if (Number.isFinite(seconds)) await utimes(file, seconds, seconds);
    } catch (cause) {
      throw new MaildirError(
        "E_MAILDIR_WRITE",
        `cannot write preview ${file}: ${(cause as Error).message}`,
        `check that ${this.dir} is writable`,
        { cause },
      );
    }
    return { message: msg, location: file };
  }

  /**
   * Writes many `.eml` files, in order.
   *
   * @example
   * ```ts
   * import { DryRunWriter } from "./writer.ts";
   * await new DryRunWriter("/tmp/preview").writeBatch([]);
   * ```
   */
  writeBatch(msgs: readonly MailMessage[]): Promise<Delivery[]> {
    return Promise.all(msgs.map((m) => this.write(m)));
  }
}

/** 16 hex digits of a versioned message's content hash (`on-update`), for its file name; else undefined. */
function versionMark(msg: MailMessage): string | undefined {
  const hash = msg.version?.hash;
  return hash && /^[0-9a-f]{16,}$/.test(hash) ? hash.slice(0, 16) : undefined;
}

/** 16 hex digits of the SHA-256 of a Message-ID: the part of a Maildir file name that finds it again. */
function messageIdMark(messageId: string): string {
  return createHash("sha256").update(messageId).digest("hex").slice(0, 16);
}

/** Folder levels after sanitising (`[]` for INBOX); throws when a non-empty name sanitises to nothing. */
function folderLevels(folder: string): string[] {
  // deno-lint-ignore no-control-regex
  const levels = folder.split(/[/.]/).map((l) => l.replace(/[\u0000-\u001f\u007f\\]/g, "_").trim())
    .filter(Boolean);
  if (levels.length > 0 && levels[0].toUpperCase() === "INBOX") levels.shift();
  if (levels.length === 0 && folder.trim() !== "" && folder.trim().toUpperCase() !== "INBOX") {
    throw new MaildirError(
      "E_MAILDIR_FOLDER",
      `folder ${JSON.stringify(folder)} has no name left after removing dots, slashes and spaces`,
      'give the folder a name such as "News" or "Tech/Blogs" (or "INBOX" for the top level)',
    );
  }
  return levels;
}

async function createFolder(root: string, rel: string): Promise<string> {
  const dir = path.join(root, rel);
  await Promise.all(["tmp", "new", "cur"].map((d) => mkdir(path.join(dir, d), { recursive: true })));
  // Maildir++ marks sub-folders with an empty `maildirfolder` file (Dovecot's quota code reads it).
  if (rel) await writeFile(path.join(dir, "maildirfolder"), "", { flag: "a" });
  return dir;
}

async function writeExclusive(file: string, data: Uint8Array, sync: boolean): Promise<void> {
  const handle = await open(file, "wx");
  try {
    await handle.writeFile(data);
    if (sync) await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the files themselves were synced already.
  } finally {
    await handle.close();
  }
}

function slug(subject: string): string {
  const s = subject.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(
    /[^a-z0-9]+/g,
    "-",
  )
    .replace(/^-+|-+$/g, "").slice(0, 60).replace(/-+$/, "");
  return s || "message";
}

/**
 * The host name for unique file names; "localhost" where reading it is refused (Deno without
 * `--allow-sys`): the name only needs to differ between machines writing to one Maildir.
 */
function hostnameOrLocalhost(): string {
  try {
    return os.hostname();
  } catch {
    return "localhost";
  }
}
