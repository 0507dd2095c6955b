/**
 * The feed library: fetches feeds politely (`ConditionalFetcher`: conditional GET, compressed transfer,
 * bounded redirects, timeouts, a size limit, retries with back-off, per-host limits), reads RSS 0.9x /
 * 1.0 / 2.0, Atom 0.3 / 1.0 and JSON Feed 1.0 / 1.1 from bytes as fetched (`parseFeed`), and lists of
 * feeds (`parseFeedList`: one URL a line or OPML). The parser is lenient where the web is sloppy: a
 * damaged document gives the entries around the damage and says so in `recovered`. No npm dependency
 * and no top-level side effects, so a pool worker loads it under Deno and Bun alike. Its entity decoder
 * (`decodeEntities`) is the one the whole tree uses.
 *
 * @example
 * ```ts
 * import { parseFeed, parseFeedList } from "./mod.ts";
 *
 * const xml = '<rss version="2.0"><channel><title>Blog</title><item><title>Hi</title>' +
 *   "<link>/hi</link></item></channel></rss>";
 * const feed = parseFeed(new TextEncoder().encode(xml), { url: "https://ex.org/feed.xml" });
 * console.log(feed.format, feed.entries[0].link); // "rss2.0" "https://ex.org/hi"
 * console.log(parseFeedList("https://ex.org/feed.xml\n", "feeds.txt").length); // 1
 * ```
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
} from "./types.ts";
export { entryContentHash } from "./entry_content_hash.ts";
export {
  compileEntryFilter,
  type EntryFilter,
  EntryFilterError,
  filterEntries,
  type FilterItem,
  filterItem,
} from "./entry_filter.ts";
export { parseFeed, type ParseFeedOptions, parseFeedTask, recoveredText } from "./parse_feed.ts";
export {
  ConditionalFetcher,
  type ConditionalFetcherOptions,
  DEFAULT_FETCH_OPTIONS,
  fetchOptionsWithDefaults,
  type Validators,
} from "./conditional_fetcher.ts";
export { FeedParseError } from "./feed_parse_error.ts";
export {
  applyFolderOptions,
  FeedListError,
  feedsFromFolders,
  folderFromUrl,
  parseFeedList,
  sanitizeFolder,
} from "./feed_list.ts";
export {
  DEFAULT_ENCLOSURE_MAX,
  FEED_OPTION_NAMES,
  FeedOptionError,
  layerFeedOptions,
  ON_UPDATE_MODES,
  parseByteSize,
  readFeedOptions,
} from "./feed_options.ts";
export { type FeedListSource, loadFeeds } from "./load_feed_list.ts";
export { parseXml, type XmlDocument, type XmlElement, type XmlNode, XmlSyntaxError } from "./xml.ts";
export { decodeEntities } from "./entities.ts";
export { parseFeedDate } from "./dates.ts";
export { htmlToLine } from "./plain_text.ts";
export { compactEntry } from "./compact_entry.ts";
