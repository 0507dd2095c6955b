/**
 * The `parse` stage: fetched bytes -> a {@link ParsedFeed} on the worker pool, through the feed library
 * (`lib/feed/`, whose `parseFeed` documents formats, character sets, recovery and speed).
 * @module
 */
import type { ParsedFeed } from "./types.ts";
import { FeedParseError, parseFeed, type ParseFeedOptions, recoveredText } from "../lib/feed/mod.ts";
import { redactUrl } from "../engine/errors.ts";
import { type Stage, type StageFactory, task } from "../engine/pipeline/mod.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { runStore } from "./run_state.ts";
import type { FetchedFeed, ParsedFeedItem } from "./types.ts";

export { FeedParseError, parseFeed, type ParseFeedOptions };
export type { FeedEntry, ParsedFeed } from "./types.ts";

/**
 * {@link parseFeed} as a worker-pool task (plain arguments, structured-clone friendly):
 * `pool.run({ module: new URL("./parse.ts", import.meta.url).href, export: "parseFeedTask" }, args)`.
 *
 * @param bytes the body as fetched
 * @param url the feed URL after redirects
 * @param contentType the HTTP `Content-Type` header
 * @example
 * ```ts
 * import { parseFeedTask } from "./parse.ts";
 * const body = new TextEncoder().encode('{"version":"https://jsonfeed.org/version/1.1","items":[]}');
 * parseFeedTask(body, "https://ex.org/feed.json").format; // "json1.1"
 * ```
 */
export function parseFeedTask(bytes: Uint8Array, url: string, contentType?: string): ParsedFeed {
  return parseFeed(bytes, { url, contentType });
}

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

/**
 * The `parse` stage: CPU-bound, so it runs on the worker pool by default (placement `pool`; `auto`
 * measures first). The body's buffer moves to the worker instead of being copied. A feed that does not
 * parse fails alone: its health records the reason, and the run's summary names its URL. A damaged feed
 * whose entries were recovered is a warning: logged with the first problem's line and column, and
 * counted as `recovered` on the stage's line of the summary.
 *
 * @example
 * ```ts
 * const p = parseFeeds({ state: "./.sluice" });
 * ```
 */
export function parseFeeds(opts: { state: string }): Stage<FetchedFeed, ParsedFeedItem> {
  const inner = task<FetchedFeed, ParsedFeedItem>({ module: import.meta.url, export: "parseFetchedTask" }, {
    name: "parse",
    placement: "pool",
    concurrency: runtime.cpuCount,
    inType: "FetchedFeed",
    outType: "ParsedFeedItem",
    onError: "drop",
    transfer: (f) => ownsBuffer(f.body) ? [f.body.buffer as ArrayBuffer] : [],
  });
  const body = inner.body as Extract<typeof inner.body, { kind: "transform" }>;
  return {
    ...inner,
    body: {
      ...body,
      handle: async (fetched, ctx) => {
        try {
          const out = await body.handle(fetched, ctx);
          const recovered = "one" in out ? out.one.parsed.recovered : undefined;
          if (recovered !== undefined) {
            // A warning, not a failure: the entries read around the damage go on to the mailbox.
            ctx.count("recovered");
            ctx.log("warn", recoveredText(recovered), { item: redactUrl(fetched.feed.url) });
          }
          return out;
        } catch (e) {
          if (!ctx.dryRun && !ctx.signal.aborted) {
            await (await runStore(ctx, opts.state)).recordFailure(fetched.feed.url, (e as Error).message);
          }
          throw e;
        }
      },
    },
  };
}

/** Whether `bytes` is the whole of its buffer (then moving the buffer moves nothing else). */
function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength &&
    !(bytes.buffer instanceof SharedArrayBuffer);
}

/** The `parse` stage for YAML. */
export const parseStage: StageFactory = {
  name: "parse",
  description: "parses RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed 1.0/1.1 (worker pool)",
  inType: "FetchedFeed",
  outType: "ParsedFeedItem",
  options: {
    state: { type: "string", default: "./.sluice", description: "state location (records parse failures)" },
  },
  defaults: { placement: "pool", onError: "drop" },
  create: (o) => parseFeeds({ state: o.state as string }),
};
