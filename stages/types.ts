/**
 * The item types that flow between the rss2imap stages. Each stage declares its input and output type by
 * one of these names (`FeedRef`, `FetchedFeed`, ...) so the YAML loader can check that consecutive stages
 * fit before anything runs.
 * @module
 */

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
  feed: FeedRef;
  status: number;
  notModified: boolean;
  /** Raw bytes, undecoded (the parser applies the charset). Transferable to a worker. */
  body: Uint8Array;
  contentType?: string;
  /** URL after redirects (base for relative links). */
  finalUrl: string;
  etag?: string;
  lastModified?: string;
}

/**
 * An enclosure (podcast audio, attachment) of an entry.
 */
export interface Enclosure {
  url: string;
  type?: string;
  length?: number;
}

/**
 * One entry as `parseFeed` returns it.
 *
 * @example
 * ```ts
 * const e: FeedEntry = { id: "urn:1", title: "Hello", html: "<p>Hi</p>", enclosures: [] };
 * ```
 */
export interface FeedEntry {
  /** Stable id: guid/id, else link, else a hash of title and content. */
  id: string;
  title?: string;
  link?: string;
  /** ISO 8601 string. */
  published?: string;
  /** ISO 8601 string. */
  updated?: string;
  author?: string;
  /** Full HTML content (absolute URLs). */
  html?: string;
  /** Summary / description (HTML or text). */
  summary?: string;
  enclosures: Enclosure[];
}

/**
 * A parsed feed (the result of `parseFeed`).
 */
export interface ParsedFeed {
  format: "rss0.9x" | "rss1.0" | "rss2.0" | "atom0.3" | "atom1.0" | "json1.0" | "json1.1";
  title?: string;
  link?: string;
  entries: FeedEntry[];
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
  filename: string;
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
  feed: FeedRef;
  feedTitle?: string;
  feedLink?: string;
  entry: FeedEntry;
  /** HTML after image rewriting and sanitising (falls back to entry.html / summary when absent). */
  html?: string;
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
  feed: FeedRef;
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
  folder: string;
  /** The whole message, CRLF line endings. */
  raw: Uint8Array;
  /** Entry date, used as the IMAP internal date / Maildir file time. */
  date: Date;
  feedUrl: string;
  entryId: string;
  /** Deterministic Message-ID (with angle brackets) derived from feed URL and entry id. */
  messageId: string;
  subject?: string;
}

/**
 * What a sink reports per message once the mailbox confirmed it.
 */
export interface Delivery {
  message: MailMessage;
  /** Where it went: `imap://host/Folder` (no credentials) or a Maildir path. */
  location: string;
}
