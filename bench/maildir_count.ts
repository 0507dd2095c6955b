/**
 * Counts the messages in a tree of Maildir folders (files under every `cur/` and `new/`): how a
 * benchmark learns what a run delivered without going through the IMAP server.
 *
 * @example
 * ```ts
 * const n = await countMaildirMessages("/tmp/dovecot/mail");
 * ```
 * @module
 */
import { readdir } from "node:fs/promises";
import path from "node:path";

/**
 * Number of message files below `root`.
 *
 * @example
 * ```ts
 * console.log(await countMaildirMessages("./mail"));
 * ```
 */
export async function countMaildirMessages(root: string): Promise<number> {
  let n = 0;
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const sub = path.join(root, e.name);
    if (e.name === "cur" || e.name === "new") n += (await readdir(sub)).length;
    else if (e.name !== "tmp") n += await countMaildirMessages(sub);
  }
  return n;
}
