/**
 * `dedupe`: turns a parsed feed into its new entries. It asks the state store which entry ids were not
 * delivered yet, tells the delivery ledger to expect them (the feed's validators are committed once all
 * are confirmed), and yields one {@linkcode EntryItem} per new entry, oldest first.
 * @module
 */
import { flatMap, type Stage, type StageContext } from "../engine/pipeline/mod.ts";
import type { StageFactory } from "../engine/config/stage_factory.ts";
import { runLedger } from "./delivery_ledger.ts";
import type { StateStore } from "../engine/state/mod.ts";
import { sanitizeFolder } from "../lib/feed/feed_list.ts";
import { filterEntries } from "../lib/feed/entry_filter.ts";
import { entryContentHash } from "../lib/feed/entry_content_hash.ts";
import { ON_UPDATE_MODES } from "../lib/feed/feed_options.ts";
import { EntryVersionBook, type FeedVersions } from "./entry_versions.ts";
import type { EntryItem, FeedEntry, FeedRef, OnUpdate, ParsedFeedItem } from "./types.ts";

/** Options of `dedupe`. */
export interface DedupeOptions {
  /** State location (sqlite dir, `kv:PATH`, `memory:`). */
  state?: string;
  /** Deliver at most this many new entries per feed and run (the newest); 0 = all. */
  maxPerFeed?: number;
  /** `on-update` for the feeds that do not set their own (default `ignore`). */
  onUpdate?: OnUpdate;
}

/**
 * The new entries of one parsed feed.
 *
 * @example Not run here: it needs a run's stage context (`dedupe()` in a pipeline gives it one).
 * ```ts ignore
 * for await (const item of newEntries(parsed, { state: "memory:" }, ctx)) console.log(item.entry.id);
 * ```
 */
export async function newEntries(
  item: ParsedFeedItem,
  opts: DedupeOptions,
  ctx: StageContext,
): Promise<EntryItem[]> {
  const ledger = await runLedger(ctx, opts.state);
  const { feed, parsed } = item;
  const unique = new Map<string, FeedEntry>();
  for (const e of parsed.entries) if (!unique.has(e.id)) unique.set(e.id, e);
  const fresh = new Set(await ledger.store.filterUndelivered(feed.url, [...unique.keys()]));
  let entries = [...unique.values()].filter((e) => fresh.has(e.id)).sort(byDate);
  // Only feeds with a filter pay for it; the skipped entries are remembered, so they never arrive later.
  if (feed.options?.filter && entries.length > 0) {
    const { kept, skipped } = filterEntries(entries, feed.options.filter, (e) => {
      ctx.log("warn", `filter threw, entry kept: ${(e as Error).message}`, { feed: feed.url });
    });
    if (skipped.length > 0) {
      if (!ctx.dryRun) await ledger.store.markAllSeen(feed.url, skipped.map((e) => e.id));
      ctx.count("filtered", skipped.length);
    }
    entries = kept;
  }
  if (opts.maxPerFeed && entries.length > opts.maxPerFeed) {
    ctx.count("skippedOld", entries.length - opts.maxPerFeed);
    entries = entries.slice(-opts.maxPerFeed);
  }
  const validators = { etag: item.etag, lastModified: item.lastModified, title: parsed.title };
  const folder = feed.autoFolder && parsed.title ? sanitizeFolder(parsed.title) : feed.folder;
  const onUpdate = feed.options?.onUpdate ?? opts.onUpdate ?? "ignore";
  if (onUpdate !== "ignore" && !feed.options?.digest) {
    const { fresh: freshItems, updates } = await trackVersions(
      { feed: { ...feed, folder }, feedTitle: feed.title ?? parsed.title, feedLink: parsed.link },
      onUpdate,
      entries,
      [...unique.values()].filter((e) => !fresh.has(e.id)),
      ctx,
      ledger.store,
    );
    await ledger.expect(feed.url, [...freshItems, ...updates].map((i) => i.entry.id), validators);
    ctx.count("newEntries", freshItems.length);
    if (updates.length > 0) ctx.count("updatedEntries", updates.length);
    return [...freshItems, ...updates];
  }
  await ledger.expect(feed.url, entries.map((e) => e.id), validators);
  ctx.count("newEntries", entries.length);
  return entries.map((entry) => ({
    feed: { ...feed, folder },
    feedTitle: feed.title ?? parsed.title,
    feedLink: parsed.link,
    entry,
    images: [],
  }));
}

/**
 * For a feed with `on-update: replace` or `new`: each new entry's item carries its content hash; each
 * delivered entry whose title or content changed since (its hash differs from the one recorded) becomes an
 * update item, unless the feed's filter now rejects it. Delivered entries without a recorded version
 * (delivered before `on-update` was set, or seen) are recorded as they are now, without sending.
 */
async function trackVersions(
  base: Pick<EntryItem, "feed" | "feedTitle" | "feedLink">,
  mode: Exclude<OnUpdate, "ignore">,
  fresh: FeedEntry[],
  delivered: FeedEntry[],
  ctx: StageContext,
  store: StateStore,
): Promise<{ fresh: EntryItem[]; updates: EntryItem[] }> {
  const feed: FeedRef = base.feed;
  const item = (entry: FeedEntry, extra: Partial<EntryItem>): EntryItem => ({
    ...base,
    entry,
    images: [],
    ...extra,
  });
  const freshItems = fresh.map((entry) => item(entry, { version: { hash: entryContentHash(entry) } }));
  if (delivered.length === 0) return { fresh: freshItems, updates: [] };
  const book = new EntryVersionBook(store);
  const known = await book.read(feed.url);
  const silent: FeedVersions = {};
  let changed: Array<{ entry: FeedEntry; hash: string }> = [];
  for (const entry of delivered) {
    const hash = entryContentHash(entry);
    const stored = known[entry.id];
    if (!stored) silent[entry.id] = { hash, folder: feed.folder };
    else if (stored.hash !== hash) changed.push({ entry, hash });
  }
  if (feed.options?.filter && changed.length > 0) {
    const { skipped } = filterEntries(changed.map((c) => c.entry), feed.options.filter, () => {});
    const out = new Set(skipped);
    for (const c of changed) {
      if (out.has(c.entry)) silent[c.entry.id] = { ...known[c.entry.id], hash: c.hash };
    }
    changed = changed.filter((c) => !out.has(c.entry));
  }
  if (Object.keys(silent).length > 0 && !ctx.dryRun) {
    const inFeed = new Set([...fresh, ...delivered].map((e) => e.id));
    await book.record(feed.url, silent, inFeed);
  }
  const updates = changed.map(({ entry, hash }) => {
    const stored = known[entry.id];
    // Replaced where the old version is; sent again to the feed's folder of today.
    const folder = mode === "replace" ? stored.folder : feed.folder;
    return item(entry, {
      feed: { ...feed, folder },
      version: { hash, update: { mode, folder: stored.folder, ...(stored.uid ? { uid: stored.uid } : {}) } },
    });
  });
  return { fresh: freshItems, updates };
}

/** Oldest first; entries without a date keep their feed order after dated ones of the same feed. */
function byDate(a: FeedEntry, b: FeedEntry): number {
  const ta = Date.parse(a.published ?? a.updated ?? "");
  const tb = Date.parse(b.published ?? b.updated ?? "");
  if (Number.isNaN(ta) || Number.isNaN(tb)) return 0;
  return ta - tb;
}

/**
 * The `dedupe` stage for TypeScript pipelines.
 *
 * @example
 * ```ts
 * const d = dedupe({ state: "./.sluice" });
 * ```
 */
export function dedupe(opts: DedupeOptions): Stage<ParsedFeedItem, EntryItem> {
  return flatMap((item: ParsedFeedItem, ctx) => newEntries(item, opts, ctx), {
    name: "dedupe",
    inType: "ParsedFeedItem",
    outType: "EntryItem",
    concurrency: 4,
    settings: { maxPerFeed: opts.maxPerFeed ?? 0, onUpdate: opts.onUpdate ?? "ignore" },
  });
}

/** The `dedupe` stage for YAML. */
export const dedupeStage: StageFactory = {
  name: "dedupe",
  description: "keeps the entries not delivered yet (state store keyed by feed and entry id)",
  inType: "ParsedFeedItem",
  outType: "EntryItem",
  placements: ["loop"],
  placementNote: "it asks the run's state store and delivery ledger, which live on the event loop",
  example: `- use: dedupe
  with:
    state: \${STATE_DIR:-./.sluice}
    max-per-feed: 20`,
  options: {
    state: {
      type: "string",
      description: "state location (sqlite dir, kv:PATH, memory:); default: the pipeline's `state:`",
    },
    "max-per-feed": {
      type: "integer",
      default: 0,
      min: 0,
      description: "newest entries per feed and run; 0 = all",
    },
    "on-update": {
      type: "string",
      enum: [...ON_UPDATE_MODES],
      default: "ignore",
      description: "a delivered entry whose title or content changed: replace its message (flags kept), " +
        "send it again as a new one, or ignore it; for the feeds that do not set their own",
    },
  },
  create: (o) =>
    dedupe({
      state: o.state as string | undefined,
      maxPerFeed: o["max-per-feed"] as number,
      onUpdate: o["on-update"] as OnUpdate,
    }),
};
