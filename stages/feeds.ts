/**
 * `feeds`: the source of rss2imap. Reads the feed list (`FEEDS`: a file or URL with one feed URL a
 * line, or OPML) and/or the YAML's own `folders:` map, and yields one {@linkcode FeedRef} per feed,
 * skipping feeds that are backing off after repeated failures.
 * @module
 */
import process from "node:process";
import { source, type Stage, type StageContext } from "../engine/pipeline/mod.ts";
import type { StageFactory } from "../engine/config/stage_factory.ts";
import type { StageNeed } from "../engine/config/catalog.ts";
import { type FeedListSource, loadFeeds } from "../lib/feed/load_feed_list.ts";
import { yieldWhenBusy } from "../engine/placement/loop_slice.ts";
import { FeedStateBook } from "./feed_state.ts";
import { runStore } from "./run_state.ts";
import { compileEntryFilter, EntryFilterError } from "../lib/feed/entry_filter.ts";
import { readFeedOptions } from "../lib/feed/feed_options.ts";
import type { FeedOptions, FeedRef } from "./types.ts";

/** Options of the `feeds` source: where the feeds are listed, and the state that knows their back-off. */
export interface FeedsOptions extends FeedListSource {
  /** State location (for per-feed back-off). */
  state?: string;
  /** Skip feeds that are backing off after failures. */
  respectBackoff?: boolean;
}

async function* produceFeeds(opts: FeedsOptions, ctx: StageContext): AsyncIterable<FeedRef> {
  // A list of thousands of feeds is read in slices of a few ms: in one piece it held the loop 50-250 ms.
  const feeds = await loadFeeds(opts, ctx.signal, yieldWhenBusy);
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
  placements: ["loop"],
  placementNote:
    "it reads the feed list and asks the state store which feeds are due, both on the event loop",
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
    "folder-options": {
      type: "object",
      description: "options for every feed of a folder, by folder name (a feed's own options win)",
      additional: {
        type: "object",
        description: "the folder's options",
        properties: {
          filter: {
            type: "string",
            description: "a JavaScript expression over `item`; false: the entry is skipped (and remembered)",
            validate: checkFilter,
          },
          enclosures: {
            type: "string",
            enum: ["link", "attach"],
            description: "podcast/media enclosures: listed as links (default) or attached",
          },
          "enclosure-max": {
            type: "string",
            pattern: /^\s*\d+(\.\d+)?\s*([kmg]b?|b)?\s*$/i,
            description: "largest enclosure attached, e.g. 10MB (default 10MB)",
          },
          digest: {
            type: "boolean",
            description: "one message per run and folder listing the new entries",
          },
          "fetch-article": {
            type: "any",
            description: "fetch each entry's link and send its main article: true/replace, or append",
          },
          thread: {
            type: "boolean",
            description: "thread the folder's messages by feed (References to a per-feed root Message-ID)",
          },
          "on-update": {
            type: "string",
            enum: ["replace", "new", "ignore"],
            description: "a delivered entry whose title or content changed: replace its message (flags " +
              "kept), send it again as a new message, or ignore it (the default)",
          },
        },
      },
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
  stagesNeeded: digestsWithoutStage,
  create: (o) => {
    const opts: FeedsOptions = {
      list: o.list as string,
      folders: o.folders as Record<string, unknown> | undefined,
      folderOptions: folderOptionsOf(
        o["folder-options"] as Record<string, Record<string, unknown>> | undefined,
      ),
      state: o.state as string | undefined,
      respectBackoff: o["respect-backoff"] as boolean,
      baseDir: process.cwd(),
    };
    return feeds(opts);
  },
};

/** The YAML's `folder-options` as {@linkcode FeedOptions} (already checked by the schema). */
function folderOptionsOf(
  byFolder: Record<string, Record<string, unknown>> | undefined,
): Record<string, FeedOptions> | undefined {
  if (!byFolder) return undefined;
  const out: Record<string, FeedOptions> = {};
  for (const [folder, values] of Object.entries(byFolder)) {
    const options = readFeedOptions(values, (name) => `folder-options.${folder}.${name}`);
    if (options) out[folder] = options;
  }
  return out;
}

const DIGEST_HINT =
  "add `- use: digest` after `dedupe` (as pipelines/rss2imap.yaml does), or remove `digest`";

/**
 * `digest: true` in the YAML (a folder's options, or a feed's under `folders:`) is honoured by the
 * `digest` stage alone: without one, each entry would arrive as a message of its own.
 */
function digestsWithoutStage(o: Record<string, unknown>): StageNeed[] {
  const needs: StageNeed[] = [];
  const byFolder = (o["folder-options"] ?? {}) as Record<string, Record<string, unknown>>;
  for (const [folder, values] of Object.entries(byFolder)) {
    if (values.digest !== true) continue;
    needs.push({
      stage: "digest",
      path: ["folder-options", folder, "digest"],
      reason: `\`digest: true\` for folder \`${folder}\``,
      hint: DIGEST_HINT,
    });
  }
  const folders = (o.folders ?? {}) as Record<string, unknown>;
  for (const [folder, list] of Object.entries(folders)) {
    if (!Array.isArray(list)) continue;
    list.forEach((item, i) => {
      const digest = (item as { digest?: unknown } | null)?.digest;
      if (digest !== true && digest !== "true") return;
      needs.push({
        stage: "digest",
        path: ["folders", folder, i, "digest"],
        reason: `\`digest: true\` for feed ${i + 1} of folder \`${folder}\``,
        hint: DIGEST_HINT,
      });
    });
  }
  return needs;
}

/** A filter expression that compiles, else the reason (the YAML loader adds the file:line:col). */
function checkFilter(source: string): { reason: string; hint: string } | undefined {
  try {
    compileEntryFilter(source, "filter");
    return undefined;
  } catch (e) {
    if (!(e instanceof EntryFilterError)) throw e;
    return { reason: e.message.replace(/^filter: /, ""), hint: e.hint ?? "" };
  }
}

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
