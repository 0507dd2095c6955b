/**
 * The `fetch` stage: a conditional GET per feed (`lib/feed/conditional_fetcher.ts`) with the validators
 * and health kept in the state store.
 * @module
 */
import type { FeedRef, FetchedFeed } from "./types.ts";
import {
  ConditionalFetcher,
  type ConditionalFetcherOptions,
  DEFAULT_FETCH_OPTIONS,
  fetchOptionsWithDefaults,
} from "../lib/feed/conditional_fetcher.ts";
import { flatMap, type Stage, type StageContext } from "../engine/pipeline/mod.ts";
import type { StageFactory } from "../engine/config/stage_factory.ts";
import { FeedStateBook } from "./feed_state.ts";
import { runStore } from "./run_state.ts";

/** Durations in the YAML schema are written in seconds; the fetcher's defaults are in ms. */
const SECOND = 1000;

/** Options of the `fetch` stage: the fetcher's options plus the state location (validators, health). */
export interface FetchStageOptions extends ConditionalFetcherOptions {
  /** State location holding each feed's validators and health (sqlite dir, `kv:PATH`, `memory:`). */
  state?: string;
}

/**
 * The `fetch` stage: a conditional GET per feed with the validators from the state store. A 304 ends
 * the feed's journey here (counted as `notModified`); a failure is recorded in the feed's health (so a
 * feed that keeps failing backs off) and reported with its URL.
 *
 * @example
 * ```ts
 * const f = fetchFeeds({ state: "./.sluice", perHostConcurrency: 4 });
 * ```
 */
export function fetchFeeds(opts: FetchStageOptions): Stage<FeedRef, FetchedFeed> {
  const { state, ...fetcherOptions } = opts;
  const settings = fetchOptionsWithDefaults(fetcherOptions);
  const fetcher = (ctx: StageContext) =>
    ctx.resources.shared("fetcher", () => new ConditionalFetcher(fetcherOptions));
  return flatMap(async (feed: FeedRef, ctx) => {
    const book = new FeedStateBook(await runStore(ctx, state));
    const known = await book.getFeed(feed.url);
    let fetched: FetchedFeed;
    try {
      fetched = await fetcher(ctx).fetchFeed(
        feed,
        { etag: known?.etag, lastModified: known?.lastModified },
        ctx.signal,
      );
    } catch (e) {
      if (!ctx.dryRun && !ctx.signal.aborted) await book.recordFailure(feed.url, (e as Error).message);
      throw e;
    }
    if (fetched.notModified) {
      ctx.count("notModified");
      if (!ctx.dryRun) await book.recordSuccess(feed.url, {});
      return [];
    }
    ctx.count("bytes", fetched.body.byteLength);
    return [fetched];
  }, {
    name: "fetch",
    concurrency: 32,
    capacity: 64,
    inType: "FeedRef",
    outType: "FetchedFeed",
    onError: "drop",
    bytesOf: (f: FetchedFeed) => f.body.byteLength,
    settings,
  });
}

/** The `fetch` stage for YAML. */
export const fetchStage: StageFactory = {
  name: "fetch",
  description: "conditional GET of each feed (ETag/Last-Modified), gzip/br, retries, per-host limits",
  inType: "FeedRef",
  outType: "FetchedFeed",
  placements: ["loop"],
  placementNote: "it is network I/O, which waits on the event loop at no cost; its per-host limits and " +
    "connections are shared by the whole run there (a worker would fetch with limits of its own)",
  example: `- use: fetch
  concurrency: 32
  with:
    timeout: 30s
    per-host: 4`,
  options: {
    state: {
      type: "string",
      description: "state location (sqlite dir, kv:PATH, memory:); default: the pipeline's `state:`",
    },
    timeout: {
      type: "duration",
      default: `${DEFAULT_FETCH_OPTIONS.timeoutMs / SECOND}s`,
      description: "total time per attempt",
    },
    deadline: {
      type: "duration",
      default: `${DEFAULT_FETCH_OPTIONS.deadlineMs / SECOND}s`,
      description: "total time per feed: every attempt, retry and wait (a trickling server is cut off here)",
    },
    "connect-timeout": {
      type: "duration",
      default: `${DEFAULT_FETCH_OPTIONS.connectTimeoutMs / SECOND}s`,
      description: "time to the response headers",
    },
    "max-size": {
      type: "integer",
      default: DEFAULT_FETCH_OPTIONS.maxBytes,
      min: 1,
      description: "largest feed body in bytes",
    },
    "max-redirects": {
      type: "integer",
      default: DEFAULT_FETCH_OPTIONS.maxRedirects,
      min: 0,
      max: 20,
      description: "redirects followed",
    },
    retries: {
      type: "integer",
      default: DEFAULT_FETCH_OPTIONS.retries,
      min: 0,
      max: 10,
      description: "retries on network errors and 5xx",
    },
    "per-host": {
      type: "integer",
      default: DEFAULT_FETCH_OPTIONS.perHostConcurrency,
      min: 1,
      description: "concurrent requests per host",
    },
    "user-agent": {
      type: "string",
      default: DEFAULT_FETCH_OPTIONS.userAgent,
      description: "User-Agent header",
    },
  },
  create: (o) =>
    fetchFeeds({
      state: o.state as string | undefined,
      timeoutMs: o.timeout as number,
      deadlineMs: o.deadline as number,
      connectTimeoutMs: o["connect-timeout"] as number,
      maxBytes: o["max-size"] as number,
      maxRedirects: o["max-redirects"] as number,
      retries: o.retries as number,
      perHostConcurrency: o["per-host"] as number,
      userAgent: o["user-agent"] as string,
    }),
};
