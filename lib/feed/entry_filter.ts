/**
 * Entry filters: a JavaScript expression over an entry (`!item.title.includes('Sponsored')`), compiled
 * once when the feed list is read (by `lib/expr`, the compiler of the `filter` and `map` stages' `expr:`),
 * then run on each new entry of the feeds that set it.
 * @module
 */
import { SluiceError } from "../../engine/errors.ts";
import { compileExpression, ExpressionSyntaxError } from "../expr/mod.ts";
import { htmlToLine } from "./plain_text.ts";
import type { FeedEntry } from "./types.ts";

/**
 * What a filter expression sees as `item`: the entry's fields as plain text, never undefined for text
 * (an entry without a title has `title: ""`), so `item.title.includes(...)` needs no guard.
 *
 * @example
 * ```ts
 * const item: FilterItem = { id: "1", title: "Hi", author: "", categories: [], content: "", link: "" };
 * ```
 */
export interface FilterItem {
  /** The entry's id. */
  readonly id: string;
  /** Title as one line of text; "" when none. */
  readonly title: string;
  /** Author name(s); "" when none. */
  readonly author: string;
  /** Categories / tags; empty when none. */
  readonly categories: readonly string[];
  /** The content (else the summary) as plain text, tags removed; "" when none. Computed when read. */
  readonly content: string;
  /** The entry's web page; "" when none. */
  readonly link: string;
  /** Published (else updated) date; undefined when the entry has none. */
  readonly date?: Date;
}

/**
 * A compiled filter: true keeps the entry. Throws what the expression throws.
 *
 * @example
 * ```ts
 * const keep: EntryFilter = (item) => !item.title.includes("Sponsored");
 * ```
 */
export type EntryFilter = (item: FilterItem) => boolean;

/**
 * A filter expression that does not compile; `message` says where (the feed list's `file:line:col`).
 *
 * @example
 * ```ts
 * const error = new EntryFilterError("feeds.txt:2:40: filter `item.title.` is not an expression", "fix it");
 * console.log(error.code); // "E_FEED_FILTER"
 * ```
 */
export class EntryFilterError extends SluiceError {
  /**
   * @param message what is wrong and where
   * @param hint what to do
   * @param options `cause`
   */
  constructor(message: string, hint: string, options?: ErrorOptions) {
    super("E_FEED_FILTER", message, hint, options);
  }
}

const compiled = new Map<string, EntryFilter>();

/**
 * Compiles `source` once (later calls with the same text return the same function). A syntax error
 * throws {@linkcode EntryFilterError} naming `where` (e.g. `feeds.txt:3:41`).
 *
 * @example
 * ```ts
 * import { compileEntryFilter, filterItem } from "./entry_filter.ts";
 * const keep = compileEntryFilter("!item.title.includes('Sponsored')", "feeds.txt:1:30");
 * console.log(keep(filterItem({ id: "1", title: "Sponsored: buy", enclosures: [] }))); // false
 * ```
 */
export function compileEntryFilter(source: string, where: string): EntryFilter {
  const known = compiled.get(source);
  if (known) return known;
  let fn: (item: unknown) => unknown;
  try {
    fn = compileExpression(source);
  } catch (e) {
    if (!(e instanceof ExpressionSyntaxError)) throw e;
    throw new EntryFilterError(
      `${where}: filter \`${source}\` is not a JavaScript expression: ${e.reason}`,
      "write one expression over `item` (title, author, categories, content, link, date, id), " +
        "e.g. filter=\"!item.title.includes('Sponsored')\"",
      { cause: e },
    );
  }
  const filter: EntryFilter = (item) => Boolean(fn(item));
  compiled.set(source, filter);
  return filter;
}

/**
 * The `item` a filter sees for `entry`. The content's plain text is computed only if the filter reads it.
 *
 * @example
 * ```ts
 * import { filterItem } from "./entry_filter.ts";
 * const item = filterItem({ id: "1", title: "Hi", html: "<p>Hello <b>you</b></p>", enclosures: [] });
 * console.log(item.content); // "Hello you"
 * ```
 */
export function filterItem(entry: FeedEntry): FilterItem {
  let content: string | undefined;
  const when = Date.parse(entry.published ?? entry.updated ?? "");
  return {
    id: entry.id,
    title: entry.title ?? "",
    author: entry.author ?? "",
    categories: entry.categories ?? [],
    get content() {
      content ??= htmlToLine(entry.html ?? entry.summary ?? "").trim();
      return content;
    },
    link: entry.link ?? "",
    date: Number.isNaN(when) ? undefined : new Date(when),
  };
}

/**
 * Splits `entries` by the filter `source` (compiled once): those it keeps and those it skips. An entry
 * on which the expression throws is kept (a filter bug must not lose mail), and `onError` is told.
 *
 * @example
 * ```ts
 * import { filterEntries } from "./entry_filter.ts";
 * const { kept, skipped } = filterEntries(
 *   [{ id: "1", title: "Sponsored", enclosures: [] }, { id: "2", title: "News", enclosures: [] }],
 *   "!item.title.includes('Sponsored')",
 * );
 * console.log(kept.length, skipped.length); // 1 1
 * ```
 */
export function filterEntries<E extends FeedEntry>(
  entries: E[],
  source: string,
  onError: (error: unknown, entry: E) => void = () => {},
): { kept: E[]; skipped: E[] } {
  const keep = compileEntryFilter(source, "filter");
  const kept: E[] = [];
  const skipped: E[] = [];
  for (const entry of entries) {
    let ok = true;
    try {
      ok = keep(filterItem(entry));
    } catch (e) {
      onError(e, entry);
    }
    (ok ? kept : skipped).push(entry);
  }
  return { kept, skipped };
}
