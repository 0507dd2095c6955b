/**
 * Loading the list of feeds: a file or an http(s) URL (one feed URL a line, or OPML), else the YAML's
 * `folders:` map. Errors name the list (credentials hidden) and what to do.
 * @module
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { redactUrl, SluiceError } from "../../engine/errors.ts";
import { applyFolderOptions, FeedListError, feedsFromFolders, parseFeedListSliced } from "./feed_list.ts";
import type { FeedOptions, FeedRef } from "./types.ts";

/**
 * Where the feeds are listed: a file or URL, else the YAML's folder map.
 *
 * @example
 * ```ts
 * const where: FeedListSource = { list: "feeds.txt", baseDir: "/etc/sluice" };
 * ```
 */
export interface FeedListSource {
  /** A file path or http(s) URL: one feed URL a line, or OPML. Empty: use `folders`. */
  list?: string;
  /** Folder name -> feed URLs (or `{ url, title }`); used when `list` is empty. */
  folders?: Record<string, unknown>;
  /** Options for every feed of a folder, by folder name (a feed's own options win); checked already. */
  folderOptions?: Record<string, FeedOptions>;
  /** Resolve a relative `list` path against this folder. */
  baseDir?: string;
}

/**
 * Reads every feed the options name, in list order: the `list` when set, else the `folders` map. With
 * `pause`, a long list is read in slices (see `parseFeedListSliced`): pass the engine's `yieldWhenBusy`.
 *
 * @example
 * ```ts
 * import { loadFeeds } from "./load_feed_list.ts";
 * const feeds = await loadFeeds({ folders: { News: ["https://example.org/feed.xml"] } });
 * console.log(feeds[0].folder); // "News"
 * ```
 */
export async function loadFeeds(
  opts: FeedListSource,
  signal?: AbortSignal,
  pause: () => Promise<void> | undefined = () => undefined,
): Promise<FeedRef[]> {
  const feeds: FeedRef[] = [];
  if (opts.list) {
    const remote = /^https?:\/\//i.test(opts.list);
    const text = remote ? await fetchList(opts.list, signal) : await readList(opts);
    feeds.push(
      ...await parseFeedListSliced(text, redactUrl(opts.list), remote ? opts.list : undefined, pause),
    );
  } else if (opts.folders && Object.keys(opts.folders).length > 0) {
    feeds.push(...feedsFromFolders(opts.folders));
  }
  if (feeds.length === 0) {
    throw new SluiceError(
      "E_NO_FEEDS",
      opts.list ? `the feed list ${redactUrl(opts.list)} names no feeds` : "no feeds to read",
      "set FEEDS to a file or URL with one feed URL a line (or OPML), or list feeds under `folders:`",
    );
  }
  return opts.folderOptions ? applyFolderOptions(feeds, opts.folderOptions) : feeds;
}

async function readList(opts: FeedListSource): Promise<string> {
  const file = path.resolve(opts.baseDir ?? ".", opts.list!);
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new FeedListError(
      `cannot read the feed list ${file}: ${(e as Error).message}`,
      "set FEEDS to an existing file or an http(s) URL",
    );
  }
}

async function fetchList(url: string, signal?: AbortSignal): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    // The runtime's "fetch failed" names neither the URL nor the cause: say which list, and why.
    const cause = (e as Error).cause instanceof Error ? `: ${((e as Error).cause as Error).message}` : "";
    // The runtime's text may quote the URL itself, credentials included.
    const why = `${(e as Error).message}${cause}`.replace(/\/\/[^\s/?#@]*@/g, "//***@");
    throw new FeedListError(
      `cannot fetch the feed list ${redactUrl(url)}: ${why}`,
      "check FEEDS and that its host is up",
      { cause: e },
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new FeedListError(
      `cannot fetch the feed list ${redactUrl(url)}: HTTP ${res.status}`,
      "check FEEDS",
    );
  }
  return await res.text();
}
