/**
 * The feed library: RSS 0.9x / 1.0 / 2.0, Atom 0.3 / 1.0 and JSON Feed 1.0 / 1.1 documents, as bytes
 * fetched from the web, to a {@link ParsedFeed}; lenient where the web is sloppy (a damaged document gives
 * the entries around the damage and says so), and with no dependency, so a pool worker loads it anywhere.
 *
 * @example
 * ```ts
 * import { parseFeed } from "./mod.ts";
 * const xml = '<rss version="2.0"><channel><item><title>Hi</title></item></channel></rss>';
 * parseFeed(new TextEncoder().encode(xml), { url: "https://ex.org/feed" }).entries[0].title; // "Hi"
 * ```
 * @module
 */
export { parseFeed, type ParseFeedOptions, recoveredText } from "./parse_feed.ts";
export { FeedParseError } from "./feed_parse_error.ts";
export type { Enclosure, FeedEntry, FeedProblem, ParsedFeed } from "./feed_types.ts";
export { decodeEntities, escapeHtml } from "./entities.ts";
export { parseFeedDate } from "./dates.ts";
export { htmlToLine } from "./plain_text.ts";
