/**
 * The feed types: a feed to read (`FeedRef`), its bytes as fetched (`FetchedFeed`), and what the parser
 * makes of them (`ParsedFeed`, `FeedEntry`, `Enclosure`).
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
  /** Per-feed options from the feed list or the YAML (the feed's own, else its folder's); none: defaults. */
  options?: FeedOptions;
}

/**
 * Options of one feed, set per feed or per folder in the feed list (OPML attributes, the plain list's
 * `key="value"` words) or in the YAML. Only plain data: a {@linkcode FeedRef} crosses to pool workers.
 *
 * @example
 * ```ts
 * const options: FeedOptions = { filter: "!item.title.includes('Sponsored')" };
 * ```
 */
export interface FeedOptions {
  /**
   * A JavaScript expression over `item` (`title`, `author`, `categories`, `content`, `link`, `date`, `id`):
   * an entry is delivered when it is truthy, else remembered as seen and never delivered.
   */
  filter?: string;
  /** True: each message refers to a per-feed root Message-ID (`In-Reply-To`, `References`), one thread a feed. */
  thread?: boolean;
  /** Enclosures (podcast audio, media): `link` (the default) lists them as links; `attach` attaches them. */
  enclosures?: "link" | "attach";
  /** Largest enclosure attached, in bytes (a larger one stays a link); default 10 MB. */
  enclosureMax?: number;
  /** True: one message per run lists the feed's new entries (set on a folder: for each of its feeds). */
  digest?: boolean;
  /**
   * What to do when an entry already delivered changes (its title or content, not just its date):
   * `replace` its message (flags kept), send it again as a `new` message marked as an update, or
   * `ignore` it (the default).
   */
  onUpdate?: OnUpdate;
  /**
   * Fetch the entry's link and put the page's main article in the message: `replace` (instead of the
   * feed's content) or `append` (after it). Unset: the feed's content only.
   */
  fetchArticle?: "replace" | "append";
}

/**
 * The choices of {@linkcode FeedOptions.onUpdate}.
 *
 * @example
 * ```ts
 * const mode: OnUpdate = "replace";
 * ```
 */
export type OnUpdate = "replace" | "new" | "ignore";

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
 * An enclosure (podcast audio, attachment) of an entry.
 */
export interface Enclosure {
  /** Absolute URL of the media file (resolved against the feed's base). */
  url: string;
  /** MIME type the feed declares, e.g. `audio/mpeg`; undefined when the feed gives none. */
  type?: string;
  /** Size in bytes the feed declares (not checked); undefined when absent or not a non-negative number. */
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
  /** Title as one line of plain text (becomes the email subject); undefined when the entry has none. */
  title?: string;
  /** Absolute URL of the entry's web page (its alternate link); undefined when the entry has none. */
  link?: string;
  /** ISO 8601 string. */
  published?: string;
  /** ISO 8601 string. */
  updated?: string;
  /** Author name(s) as one line of plain text, several joined with `, `; undefined when none is given. */
  author?: string;
  /** Categories / tags as plain text, in feed order; undefined when the entry has none. */
  categories?: string[];
  /**
   * Base URL for relative URLs in `html` and `summary` when it is not `link`: the `xml:base` in scope of
   * the content, or the feed's URL after redirects for an entry without a link. Undefined: use `link`.
   */
  base?: string;
  /** Full HTML content (absolute URLs). */
  html?: string;
  /** Summary / description (HTML or text). */
  summary?: string;
  /** Media attached to the entry (podcast audio and the like), in feed order; empty when there is none. */
  enclosures: Enclosure[];
  /**
   * Absolute URLs of the images the feed attaches to the entry outside its HTML (`media:content` and
   * `media:thumbnail` of an image type, image enclosures), in feed order without repeats; undefined when
   * none. rewrite-images shows them when the HTML has no image of its own.
   */
  images?: string[];
}

/**
 * A parsed feed (the result of `parseFeed`).
 */
export interface ParsedFeed {
  /** The format and version detected from the document itself (not from the Content-Type). */
  format: "rss0.9x" | "rss1.0" | "rss2.0" | "atom0.3" | "atom1.0" | "json1.0" | "json1.1";
  /** The feed's own title as one line of plain text; undefined when it has none. */
  title?: string;
  /** Absolute URL of the site the feed belongs to (its home page); undefined when none is given. */
  link?: string;
  /** The entries in document order (usually newest first); empty for a feed without entries. */
  entries: FeedEntry[];
  /**
   * Set when the document was damaged (truncated, unclosed or mismatched tags, a broken attribute, an
   * undefined entity, junk the parser skipped) and the entries are what could be read around the damage:
   * the feed is "recovered, with problems". Undefined for a well-formed document.
   */
  recovered?: FeedProblem;
}

/**
 * The first problem of a damaged feed document, where it is, and how many there were.
 *
 * @example
 * ```ts
 * const p: FeedProblem = { line: 12, column: 3, reason: "closing tag </item> is cut off", problems: 1 };
 * ```
 */
export interface FeedProblem {
  /** 1-based line of the first problem. */
  line: number;
  /** 1-based column of the first problem. */
  column: number;
  /** What the first problem is. */
  reason: string;
  /** How many problems the parser recovered from in all. */
  problems: number;
}
