/**
 * The item types that flow between the rss2imap stages. Each stage declares its input and output type by
 * one of these names (`FeedRef`, `FetchedFeed`, ...) so the YAML loader can check that consecutive stages
 * fit before anything runs.
 * @module
 */
import type { FeedEntry, ParsedFeed } from "../lib/feed/feed_types.ts";

export type { Enclosure, FeedEntry, FeedProblem, ParsedFeed } from "../lib/feed/feed_types.ts";

/**
 * One feed to read, and the folder its entries go to.
 *
 * @example
 * ```ts
 * const ref: FeedRef = { url: "https://example.org/feed.xml", folder: "News" };
 * ```
 */
export interface FeedRef {
  /** Feed URL (http or https). */
  url: string;
  /** Target folder (IMAP mailbox or Maildir++ folder), e.g. `News` or `Tech.Blogs`. */
  folder: string;
  /** Display name from OPML or the YAML list, when given. */
  title?: string;
  /**
   * True when the folder was not chosen by the user (a plain list): it is then named after the feed's
   * title once the feed is parsed (`folder` holds a name derived from the URL until then).
   */
  autoFolder?: boolean;
}

/**
 * The result of fetching a feed. `notModified` is true for a 304 (then `body` is empty).
 *
 * @example
 * ```ts
 * const f: FetchedFeed = { feed: { url: "u", folder: "F" }, status: 200, notModified: false,
 *   body: new Uint8Array(), contentType: "application/rss+xml", finalUrl: "u" };
 * ```
 */
export interface FetchedFeed {
  /** The feed that was fetched, as listed (its `url` may hold credentials: redact before logging). */
  feed: FeedRef;
  /** HTTP status of the final response after redirects: a 2xx, or 304 when `notModified`. */
  status: number;
  /** True when the server answered 304 to the conditional request: nothing changed, `body` is empty. */
  notModified: boolean;
  /** Raw bytes, undecoded (the parser applies the charset). Transferable to a worker. */
  body: Uint8Array;
  /** The response's `Content-Type` header verbatim (charset included); undefined when the server sent none. */
  contentType?: string;
  /** URL after redirects (base for relative links); may still hold the feed's credentials, redact it. */
  finalUrl: string;
  /** `ETag` to send as `If-None-Match` next time (on a 304 without one, the one sent); else undefined. */
  etag?: string;
  /** `Last-Modified` to send as `If-Modified-Since` next time (same 304 rule as `etag`); else undefined. */
  lastModified?: string;
}

/**
 * An image fetched once and attached inline to a message as a `cid:` part.
 */
export interface InlineImage {
  /** Content-ID without angle brackets, e.g. `img1.3f2a@sluice`. */
  cid: string;
  /** Original absolute URL. */
  url: string;
  /** Sniffed from bytes, e.g. `image/png`. */
  contentType: string;
  /** File name for the MIME part, derived from the URL's path with an extension matching `contentType`. */
  filename: string;
  /** The image bytes as downloaded. */
  content: Uint8Array;
}

/**
 * One entry on its way to a mailbox: which feed and folder, the entry, and (after rewrite-images) its
 * rewritten HTML and inline images.
 *
 * @example
 * ```ts
 * const item: EntryItem = { feed: { url: "u", folder: "F" }, feedTitle: "Blog",
 *   entry: { id: "1", enclosures: [] }, images: [] };
 * ```
 */
export interface EntryItem {
  /** The feed the entry came from; `folder` is where its message goes (`url` may hold credentials). */
  feed: FeedRef;
  /** Name shown as the sender: the title given in the feed list, else the feed's own title, else undefined. */
  feedTitle?: string;
  /** Absolute URL of the feed's site (`ParsedFeed.link`); undefined when the feed gives none. */
  feedLink?: string;
  /** The entry as parsed. */
  entry: FeedEntry;
  /** HTML after image rewriting and sanitising (falls back to entry.html / summary when absent). */
  html?: string;
  /** Images to attach inline, one per distinct URL referenced as `cid:` in `html`; empty before rewriting. */
  images: InlineImage[];
}

/**
 * One feed after parsing: what `parse` hands to `dedupe`, which splits it into new entries. The HTTP
 * validators travel with it so they are committed only once every new entry is delivered.
 *
 * @example
 * ```ts
 * const p: ParsedFeedItem = { feed: { url: "u", folder: "F" }, etag: '"v1"',
 *   parsed: { format: "rss2.0", entries: [] } };
 * ```
 */
export interface ParsedFeedItem {
  /** The feed that was parsed, as listed (its `url` may hold credentials: redact before logging). */
  feed: FeedRef;
  /** Everything the document held: all its entries, new or already delivered. */
  parsed: ParsedFeed;
  /** ETag of the response the entries came from (committed after delivery). */
  etag?: string;
  /** Last-Modified of that response (committed after delivery). */
  lastModified?: string;
}

/**
 * A composed RFC 5322 message ready for a mailbox.
 *
 * @example
 * ```ts
 * const m: MailMessage = { folder: "F", raw: new Uint8Array(), date: new Date(), feedUrl: "u",
 *   entryId: "1", messageId: "<x@sluice>" };
 * ```
 */
export interface MailMessage {
  /** Folder to store the message in (IMAP mailbox or Maildir++ folder name), from the entry's feed. */
  folder: string;
  /** The whole message, CRLF line endings. */
  raw: Uint8Array;
  /** Entry date, used as the IMAP internal date / Maildir file time. */
  date: Date;
  /** URL of the feed the entry came from, as listed (may hold credentials: redact before logging). */
  feedUrl: string;
  /** The entry's stable id (`FeedEntry.id`): with `feedUrl`, the key that marks it delivered. */
  entryId: string;
  /** Deterministic Message-ID (with angle brackets) derived from feed URL and entry id. */
  messageId: string;
  /** Decoded subject (the entry title, else its first words), kept for names such as Maildir files. */
  subject?: string;
}

/**
 * What a sink reports per message once the mailbox confirmed it.
 */
export interface Delivery {
  /** The message the mailbox now holds. */
  message: MailMessage;
  /** Where it went: `imap://host/Folder` (no credentials) or a Maildir path. */
  location: string;
}
