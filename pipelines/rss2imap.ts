/**
 * rss2imap in TypeScript: the same stages as `rss2imap.yaml`, chained with the typed builder (a stage
 * that does not fit the previous one is a compile error).
 *
 * @example
 * ```ts
 * import { rss2imap } from "./rss2imap.ts";
 * // Built, not run here: a run needs the feeds and a mailbox (`runPipeline(p)` from mod.ts runs it).
 * const p = rss2imap({ feeds: "feeds.txt", imapUrl: "imaps://me:secret@mail.example.org" });
 * console.log(p.names()); // ["feeds", "fetch", "parse", "dedupe", "digest", "rewrite-images", "mime", "upload-imap"]
 * ```
 * @module
 */
import { type Pipeline, pipeline } from "../engine/pipeline/mod.ts";
import { feeds } from "../stages/feeds.ts";
import { fetchFeeds } from "../stages/fetch.ts";
import { parseFeeds } from "../stages/parse.ts";
import { dedupe } from "../stages/dedupe.ts";
import { digest } from "../stages/digest.ts";
import { rewriteImages } from "../stages/rewrite_images.ts";
import { mime } from "../stages/mime.ts";
import { mailbox } from "../stages/mailbox.ts";

/** Where rss2imap reads and writes. */
export interface Rss2ImapOptions {
  /** A feed list file or URL (one URL a line, or OPML). */
  feeds?: string;
  /** Folder name -> feed URLs. */
  folders?: Record<string, string[]>;
  /** `imap://user:pass@host:port` or `imaps://`; unset: the Maildir. */
  imapUrl?: string;
  /** Maildir root when there is no IMAP URL (default `./mail`). */
  maildir?: string;
  /** State location (default `./.sluice`). */
  state?: string;
  /** IMAP connections, each the single owner of a share of the folders (default 2). */
  connections?: number;
}

/**
 * The rss2imap pipeline.
 *
 * @example
 * ```ts
 * const p = rss2imap({ folders: { News: ["https://example.org/feed.xml"] }, state: "memory:" });
 * console.log(p.names()); // ["feeds", "fetch", "parse", "dedupe", "digest", "rewrite-images", "mime", "mailbox"]
 * ```
 */
export function rss2imap(opts: Rss2ImapOptions): Pipeline<never> {
  return pipeline(feeds({ list: opts.feeds, folders: opts.folders }), { state: opts.state ?? "./.sluice" })
    .pipe(fetchFeeds({}))
    .pipe(parseFeeds())
    .pipe(dedupe({}))
    .pipe(digest())
    .pipe(rewriteImages())
    .pipe(mime())
    .to(mailbox({ url: opts.imapUrl, maildir: opts.maildir, connections: opts.connections }));
}
