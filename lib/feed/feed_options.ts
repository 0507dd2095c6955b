/**
 * Per-feed options (`filter`, ...) as the feed list writes them: OPML attributes, the plain list's
 * `key="value"` words, the YAML's keys. Read and checked here, once, when the list is loaded.
 * @module
 */
import { compileEntryFilter } from "./entry_filter.ts";
import type { FeedOptions } from "./types.ts";

/**
 * The option names a feed list may set, as written (OPML attribute, plain list word, YAML key).
 *
 * @example
 * ```ts
 * console.log(FEED_OPTION_NAMES.includes("filter")); // true
 * ```
 */
export const FEED_OPTION_NAMES: readonly string[] = ["filter"];

/**
 * The options among `values` (other keys are ignored), each checked: a filter that does not compile
 * throws, naming `where(name)` (a `file:line:col`). Undefined when none is set.
 *
 * @example
 * ```ts
 * import { readFeedOptions } from "./feed_options.ts";
 * const options = readFeedOptions({ filter: "item.author !== 'bot'" }, (name) => `feeds.opml (${name})`);
 * console.log(options); // { filter: "item.author !== 'bot'" }
 * ```
 */
export function readFeedOptions(
  values: Record<string, unknown>,
  where: (name: string) => string,
): FeedOptions | undefined {
  const filter = values.filter;
  if (typeof filter !== "string" || filter.trim() === "") return undefined;
  compileEntryFilter(filter, where("filter"));
  return { filter };
}

/**
 * Options layered: each later layer's settings win (folder's, then the feed's own). Undefined when no
 * layer sets anything, so a feed without options carries none.
 *
 * @example
 * ```ts
 * import { layerFeedOptions } from "./feed_options.ts";
 * layerFeedOptions({ filter: "true" }, undefined, { filter: "false" }); // { filter: "false" }
 * ```
 */
export function layerFeedOptions(...layers: (FeedOptions | undefined)[]): FeedOptions | undefined {
  let out: FeedOptions | undefined;
  for (const layer of layers) if (layer) out = { ...out, ...layer };
  return out;
}
