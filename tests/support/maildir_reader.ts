/**
 * Reads every message of a Maildir++ tree (what Dovecot stores, or what the `maildir` sink writes), with
 * the folder it is in, for tests that check what was delivered where.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

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
