/**
 * The item types that flow between the rss2imap stages. Each stage declares its input and output type by
 * one of these names (`FeedRef`, `FetchedFeed`, ...) so the YAML loader can check that consecutive stages
 * fit before anything runs.
 * @module
 */

export type {
  Enclosure,
  FeedEntry,
  FeedOptions,
  FeedProblem,
  FeedRef,
  FetchedFeed,
  OnUpdate,
  ParsedFeed,
} from "../lib/feed/types.ts";
export type {
  Attachment,
  CoveredEntry,
  Delivery,
  EntryItem,
  EntryVersion,
  InlineImage,
  MailMessage,
} from "../lib/mime/types.ts";
import type { FeedRef, ParsedFeed } from "../lib/feed/types.ts";

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
