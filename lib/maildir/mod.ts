/**
 * The Maildir++ writer: each message one file, written to `tmp/` and renamed into `new/`, folders laid
 * out as Dovecot and Courier do (`MaildirWriter`), and the `--dry-run` writer that leaves `.eml` files
 * to look at (`DryRunWriter`).
 *
 * @example
 * ```ts
 * import { MaildirWriter } from "./mod.ts";
 *
 * const writer = new MaildirWriter("./mail");
 * console.log(writer.folderPath("News/Tech")); // "./mail/.News.Tech"
 * ```
 * @module
 */
export {
  DryRunWriter,
  MaildirError,
  maildirFolderDir,
  type MaildirOptions,
  MaildirWriter,
  type MessageWriter,
} from "./writer.ts";
