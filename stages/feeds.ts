/**
 * `feeds`: the source of rss2imap. Reads the feed list (`FEEDS`: a file or URL with one feed URL a
 * line, or OPML) and/or the YAML's own `folders:` map, and yields one {@linkcode FeedRef} per feed,
 * skipping feeds that are backing off after repeated failures.
 * @module
 */
import process from "node:process";
import { source, type Stage, type StageContext } from "../engine/pipeline/mod.ts";
import type { StageFactory } from "../engine/config/stage_factory.ts";
import { type FeedListSource, loadFeeds } from "../lib/feed/load_feed_list.ts";
import { FeedStateBook } from "./feed_state.ts";
import { runStore } from "./run_state.ts";
import type { FeedRef } from "./types.ts";

/** Options of the `feeds` source: where the feeds are listed, and the state that knows their back-off. */
export interface FeedsOptions extends FeedListSource {
  /** State location (for per-feed back-off). */
  state?: string;
  /** Skip feeds that are backing off after failures. */
  respectBackoff?: boolean;
}

async function* produceFeeds(opts: FeedsOptions, ctx: StageContext): AsyncIterable<FeedRef> {
  const feeds = await loadFeeds(opts, ctx.signal);
  const location = opts.state ?? ctx.stateLocation;
  const book = location && opts.respectBackoff !== false
    ? new FeedStateBook(await runStore(ctx, location))
    : undefined;
  ctx.log("debug", `${feeds.length} feeds`);
  let tried = 0;
  let nextAttempt = Infinity;
  for (const feed of feeds) {
    if (ctx.stopSignal.aborted) return;
    if (book) {
      const due = await book.shouldFetch(feed.url);
      if (!due.fetch) {
        ctx.count("backingOff");
        if (due.until) nextAttempt = Math.min(nextAttempt, Date.parse(due.until));
        ctx.log("info", `skipped: ${due.reason ?? "backing off"}`, { feed: feed.url });
        continue;
      }
    }
    tried++;
    yield feed;
  }
  // Every feed rests: the run's summary says that nothing was tried, and when the first one is due.
  if (tried === 0 && Number.isFinite(nextAttempt)) ctx.count(NEXT_ATTEMPT_COUNTER, nextAttempt);
}

/**
 * The counter the `feeds` stage sets when every feed is backing off: when the first one is due again, in
 * ms since the Unix epoch (the CLI's summary shows it as a time).
 *
 * @example
 * ```ts
 * import { fromIterable, pipeline, runPipeline, sink } from "../engine/pipeline/mod.ts";
 * const summary = await runPipeline(pipeline(fromIterable([1])).to(sink(() => {})));
 * const due = summary.metrics.stages[0].counters[NEXT_ATTEMPT_COUNTER]; // undefined unless all feeds rest
 * console.log(due); // undefined
 * ```
 */
export const NEXT_ATTEMPT_COUNTER = "nextAttemptAt";

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
    list: {
      type: "string",
      default: "",
      path: true,
      description: "file or URL: one feed URL a line, or OPML",
    },
    folders: {
      type: "object",
      description: "folder name -> list of feed URLs",
      additional: { type: "any", description: "feed URLs" },
    },
    state: {
      type: "string",
      path: true,
      description: "state location (sqlite dir, kv:PATH, memory:); default: the pipeline's `state:`",
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
      state: o.state as string | undefined,
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
