/**
 * The `parse` stage: the feed parser (`lib/feed/parse_feed.ts`) on the worker pool (the task is in
 * `parse_task.ts`), a failure recorded in the feed's health.
 * @module
 */
import { recoveredText } from "../lib/feed/recovered_text.ts";
import { redactUrl } from "../engine/errors.ts";
import { type Placement, type Stage, task } from "../engine/pipeline/mod.ts";
import type { StageFactory } from "../engine/config/stage_factory.ts";
import { runtime } from "../engine/runtime/mod.ts";
import { FeedStateBook } from "./feed_state.ts";
import { runStore } from "./run_state.ts";
import type { FetchedFeed, ParsedFeedItem } from "./types.ts";

/**
 * How the `parse` stage names its task (`parseFetchedTask` of `parse_task.ts`) for the worker
 * pool, or for the loop, which imports it when the stage opens: the feed parser (23 modules) is no part of
 * the modules a run loads before its first fetch.
 *
 * @example
 * ```ts
 * import { PARSE_TASK } from "./parse.ts";
 * PARSE_TASK.export; // "parseFetchedTask"
 * ```
 */
export const PARSE_TASK: { readonly module: string; readonly export: "parseFetchedTask" } = {
  module: new URL("./parse_task.ts", import.meta.url).href,
  export: "parseFetchedTask",
};

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
export function parseFeeds(opts: { state?: string } = {}): Stage<FetchedFeed, ParsedFeedItem> {
  const inner = task<FetchedFeed, ParsedFeedItem>(PARSE_TASK, {
    name: "parse",
    placement: "pool",
    concurrency: runtime.cpuCount,
    inType: "FetchedFeed",
    outType: "ParsedFeedItem",
    onError: "drop",
    transfer: (f) => ownsBuffer(f.body) ? [f.body.buffer as ArrayBuffer] : [],
    // The run's first items do not wait for its first worker (see `task`).
    loopUntilPoolLoaded: true,
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
            await new FeedStateBook(await runStore(ctx, opts.state)).recordFailure(
              fetched.feed.url,
              (e as Error).message,
            );
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

/**
 * Where `parse` can run: the worker pool (its default), the event loop, or `auto` (measured, then moved).
 *
 * @example
 * ```ts
 * import { PARSE_PLACEMENTS } from "./parse.ts";
 * PARSE_PLACEMENTS.includes("loop"); // true
 * ```
 */
export const PARSE_PLACEMENTS: readonly Placement[] = ["pool", "loop", "auto"];

/** The `parse` stage for YAML. */
export const parseStage: StageFactory = {
  name: "parse",
  description: "parses RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed 1.0/1.1 (worker pool)",
  inType: "FetchedFeed",
  outType: "ParsedFeedItem",
  placements: PARSE_PLACEMENTS,
  placementNote:
    "parsing is CPU work that runs on the worker pool (`pool`), on the event loop (`loop`), or " +
    "measured first (`auto`); it holds no resource an `owner` would guard, and no other program to run in a " +
    "`process`",
  example: `- use: parse
  placement: pool`,
  options: {
    state: {
      type: "string",
      description: "state location (records parse failures); default: the pipeline's `state:`",
    },
  },
  create: (o) => parseFeeds({ state: o.state as string | undefined }),
};
