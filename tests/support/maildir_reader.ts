/**
 * Reads every message of a Maildir++ tree (what Dovecot stores, or what the `maildir` sink writes), with
 * the folder it is in, for tests that check what was delivered where.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { allParts, bodyText, decodeWords, headerValue, type MimePart, parseMime } from "./mime_reader.ts";

/** One stored message. */
export interface StoredMessage {
  /** Folder name with `.` separators as Maildir++ stores it (`""` for INBOX). */
  folder: string;
  file: string;
  raw: Uint8Array;
}

/**
 * Every message under `root` (INBOX and every `.Folder`), sorted by folder, then by file name.
 *
 * A directory lists its files in no fixed order (it differs between runs and runtimes), so the result is
 * sorted to be the same every run. That order is not the order of delivery: a test that wants one message
 * selects it by a header (`X-Sluice-Entry-Id`, `Message-ID`), never by its position.
 */
export async function readMaildir(root: string): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  const folders = [""];
  try {
    for (const e of await readdir(root, { withFileTypes: true })) {
      if (e.isDirectory() && e.name.startsWith(".")) folders.push(e.name.slice(1));
    }
  } catch {
    return out;
  }
  for (const folder of folders) {
    for (const sub of ["new", "cur"]) {
      const dir = path.join(root, folder ? `.${folder}` : "", sub);
      let files: string[] = [];
      try {
        files = await readdir(dir);
      } catch {
        continue;
      }
      for (const f of files) {
        out.push({ folder, file: path.join(dir, f), raw: await readFile(path.join(dir, f)) });
      }
    }
  }
  return out.sort((a, b) =>
    compare(a.folder, b.folder) || compare(path.basename(a.file), path.basename(b.file))
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One message of a folder, parsed: what the rss2imap tests look at. */
export interface FolderMessage {
  /** The whole message. */
  mime: MimePart;
  /** The decoded Subject ("" when none). */
  subject: string;
  /** The text of its text/html part ("" when none). */
  html: string;
  /** Its image/png parts (inline images). */
  images: MimePart[];
}

/**
 * The messages of `folder` under `root`, parsed, sorted by subject (then by file name, as
 * {@linkcode readMaildir} lists them): a stable order for tests that compare a folder's messages.
 */
export async function readFolder(root: string, folder: string): Promise<FolderMessage[]> {
  const stored = (await readMaildir(root)).filter((m) => m.folder === folder);
  return stored.map((m) => {
    const mime = parseMime(m.raw);
    const html = allParts(mime).find((p) => p.contentType === "text/html");
    return {
      mime,
      subject: decodeWords(headerValue(mime, "Subject") ?? ""),
      html: html ? bodyText(html) : "",
      images: allParts(mime).filter((p) => p.contentType === "image/png"),
    };
  }).sort((a, b) => compare(a.subject, b.subject));
}
