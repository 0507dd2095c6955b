/**
 * The worker-pool task of the `parse` stage, in a module of its own: a pool worker imports only what the
 * task needs (the feed parser, 23 modules) and not the stage's (the pipeline engine and the state store,
 * 109 modules), so the first feed of a run waits less for the worker to load it.
 * @module
 */
import { parseFeed } from "../lib/feed/parse_feed.ts";
import type { FetchedFeed, ParsedFeedItem } from "./types.ts";

/**
 * Pool task of the `parse` stage: a fetched feed in, the parsed feed with its validators out.
 *
 * @example
 * ```ts
 * const item = parseFetchedTask({ feed: { url: "https://x/f", folder: "F" }, status: 200, notModified: false,
 *   body: new TextEncoder().encode('{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[]}'),
 *   finalUrl: "https://x/f" });
 * ```
 */
export function parseFetchedTask(fetched: FetchedFeed): ParsedFeedItem {
  return {
    feed: fetched.feed,
    parsed: parseFeed(fetched.body, { url: fetched.finalUrl, contentType: fetched.contentType }),
    etag: fetched.etag,
    lastModified: fetched.lastModified,
  };
}
