/**
 * `feeds`: the source of rss2imap. Reads the feed list (`FEEDS`: a file or URL with one feed URL a
 * line, or OPML) and/or the YAML's own `folders:` map, and yields one {@linkcode FeedRef} per feed,
 * skipping feeds that are backing off after repeated failures.
 * @module
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import process from "node:process";
import { redactUrl, SluiceError } from "../engine/errors.ts";
import { source, type Stage, type StageContext } from "../engine/pipeline/mod.ts";
import type { StageFactory } from "../engine/config/stage_factory.ts";
import { FeedListError, feedsFromFolders, parseFeedList } from "../lib/feed/feed_list.ts";
import { runStore } from "./run_state.ts";
import type { FeedRef } from "./types.ts";

/** Options of the `feeds` source. */
export interface FeedsOptions {
  /** A file path or http(s) URL: one feed URL a line, or OPML. Empty: use `folders`. */
  list?: string;
  /** Folder name -> feed URLs (or `{ url, title }`); used when `list` is empty. */
  folders?: Record<string, unknown>;
  /** State location (for per-feed back-off). */
  state?: string;
  /** Skip feeds that are backing off after failures. */
  respectBackoff?: boolean;
  /** Resolve a relative `list` path against this folder. */
  baseDir?: string;
}

/**
 * Reads every feed the options name, in list order: the `list` when set, else the `folders` map.
 *
 * @example
 * ```ts
 * const feeds = await loadFeeds({ folders: { News: ["https://example.org/feed.xml"] } });
 * console.log(feeds[0].folder); // "News"
 * ```
 */
export async function loadFeeds(opts: FeedsOptions, signal?: AbortSignal): Promise<FeedRef[]> {
  const feeds: FeedRef[] = [];
  if (opts.list) {
    const text = /^https?:\/\//i.test(opts.list) ? await fetchList(opts.list, signal) : await readList(opts);
    feeds.push(...parseFeedList(text, redactUrl(opts.list)));
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
  return feeds;
}

async function readList(opts: FeedsOptions): Promise<string> {
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

async function* produceFeeds(opts: FeedsOptions, ctx: StageContext): AsyncIterable<FeedRef> {
  const feeds = await loadFeeds(opts, ctx.signal);
  const store = opts.state && opts.respectBackoff !== false ? await runStore(ctx, opts.state) : undefined;
  ctx.log("debug", `${feeds.length} feeds`);
  for (const feed of feeds) {
    if (ctx.stopSignal.aborted) return;
    if (store) {
      const due = await store.shouldFetch(feed.url);
      if (!due.fetch) {
        ctx.count("backingOff");
        ctx.log("info", `skipped: ${due.reason ?? "backing off"}`, { feed: feed.url });
        continue;
      }
    }
    yield feed;
  }
}

/** The `feeds` stage for YAML (`use: feeds`). */
export const feedsStage: StageFactory = {
  name: "feeds",
  description: "reads the feed list (FEEDS file/URL, OPML) and the YAML's folders",
  inType: "none",
  outType: "FeedRef",
  example: `- use: feeds
  with:
    list: \${FEEDS:-feeds.txt}   # one URL a line (optionally a folder after it), or OPML
    folders:
      News:
        - https://example.org/feed.xml`,
  options: {
    list: { type: "string", default: "", description: "file or URL: one feed URL a line, or OPML" },
    folders: {
      type: "object",
      description: "folder name -> list of feed URLs",
      additional: { type: "any", description: "feed URLs" },
    },
    state: {
      type: "string",
      default: "./.sluice",
      description: "state location (sqlite dir, kv:PATH, memory:)",
    },
    "respect-backoff": {
      type: "boolean",
      default: true,
      description: "skip feeds backing off after failures",
    },
  },
  create: (o) => {
    const opts: FeedsOptions = {
      list: o.list as string,
      folders: o.folders as Record<string, unknown> | undefined,
      state: o.state as string,
      respectBackoff: o["respect-backoff"] as boolean,
      baseDir: process.cwd(),
    };
    return feeds(opts);
  },
};

/**
 * The `feeds` source for TypeScript pipelines.
 *
 * @example
 * ```ts
 * const src = feeds({ folders: { News: ["https://example.org/feed.xml"] }, state: "memory:" });
 * ```
 */
export function feeds(opts: FeedsOptions): Stage<never, FeedRef> {
  return source((c: StageContext) => produceFeeds(opts, c), {
    name: "feeds",
    inType: "none",
    outType: "FeedRef",
    settings: { respectBackoff: opts.respectBackoff ?? true },
  });
}
