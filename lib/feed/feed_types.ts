/**
 * The shapes the feed parser returns: a {@link ParsedFeed} of {@link FeedEntry} values.
 * @module
 */

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
