/**
 * Per-feed options (`filter`, ...) as the feed list writes them: OPML attributes, the plain list's
 * `key="value"` words, the YAML's keys. Read and checked here, once, when the list is loaded.
 * @module
 */
import { SluiceError } from "../../engine/errors.ts";
import { compileEntryFilter } from "./entry_filter.ts";
import type { FeedOptions, OnUpdate } from "./types.ts";

/**
 * The option names a feed list may set, as written (OPML attribute, plain list word, YAML key).
 *
 * @example
 * ```ts
 * console.log(FEED_OPTION_NAMES.includes("filter")); // true
 * ```
 */
export const FEED_OPTION_NAMES: readonly string[] = [
  "filter",
  "thread",
  "enclosures",
  "enclosure-max",
  "digest",
  "on-update",
  "fetch-article",
];

/**
 * The values `on-update` takes; `ignore` is the default.
 *
 * @example
 * ```ts
 * console.log(ON_UPDATE_MODES[0]); // "ignore"
 * ```
 */
export const ON_UPDATE_MODES: readonly OnUpdate[] = ["ignore", "replace", "new"];

/**
 * The enclosure size cap when a feed attaches enclosures without `enclosure-max`: 10 MB.
 *
 * @example
 * ```ts
 * console.log(DEFAULT_ENCLOSURE_MAX); // 10485760
 * ```
 */
export const DEFAULT_ENCLOSURE_MAX = 10 * 1024 * 1024;

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
  const options: FeedOptions = {};
  const filter = values.filter;
  if (typeof filter === "string" && filter.trim() !== "") {
    compileEntryFilter(filter, where("filter"));
    options.filter = filter;
  }
  if (values.thread !== undefined) options.thread = booleanOption(values.thread, "thread", where);
  if (values.digest !== undefined) options.digest = booleanOption(values.digest, "digest", where);
  if (values["fetch-article"] !== undefined) {
    const mode = fetchArticleMode(values["fetch-article"]);
    if (mode === null) {
      throw new FeedOptionError(
        `${where("fetch-article")}: \`fetch-article\` must be true, false, replace or append, got ${
          JSON.stringify(values["fetch-article"])
        }`,
        'write fetch-article="true" (the article replaces the feed\'s content) or fetch-article="append"',
      );
    }
    if (mode) options.fetchArticle = mode;
  }
  if (values.enclosures !== undefined) {
    const mode = String(values.enclosures).trim().toLowerCase();
    if (mode !== "link" && mode !== "attach") {
      throw new FeedOptionError(
        `${where("enclosures")}: \`enclosures\` must be link or attach, got ${
          JSON.stringify(values.enclosures)
        }`,
        'write enclosures="link" (the default) or enclosures="attach"',
      );
    }
    options.enclosures = mode;
  }
  if (values["on-update"] !== undefined) {
    const mode = String(values["on-update"]).trim().toLowerCase() as OnUpdate;
    if (!ON_UPDATE_MODES.includes(mode)) {
      throw new FeedOptionError(
        `${where("on-update")}: \`on-update\` must be replace, new or ignore, got ${
          JSON.stringify(values["on-update"])
        }`,
        'write on-update="replace" (the message is replaced, flags kept), "new" or "ignore" (the default)',
      );
    }
    options.onUpdate = mode;
  }
  if (values["enclosure-max"] !== undefined) {
    const max = parseByteSize(values["enclosure-max"]);
    if (max === undefined) {
      throw new FeedOptionError(
        `${where("enclosure-max")}: \`enclosure-max\` must be a size, got ${
          JSON.stringify(values["enclosure-max"])
        }`,
        'write a number of bytes or a size such as enclosure-max="10MB" (KB, MB, GB)',
      );
    }
    options.enclosureMax = max;
  }
  return Object.keys(options).length > 0 ? options : undefined;
}

/**
 * Bytes from a size: a number of bytes, or `10MB`, `512 KB`, `1.5GB` (powers of 1024); undefined when it
 * is not one.
 *
 * @example
 * ```ts
 * import { parseByteSize } from "./feed_options.ts";
 * console.log(parseByteSize("10MB"), parseByteSize(2048), parseByteSize("big")); // 10485760 2048 undefined
 * ```
 */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  if (typeof value !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?\s*$/i.exec(value);
  if (!m) return undefined;
  const unit = (m[2] ?? "b").toLowerCase()[0];
  const scale = unit === "k" ? 1024 : unit === "m" ? 1024 ** 2 : unit === "g" ? 1024 ** 3 : 1;
  return Math.floor(Number(m[1]) * scale);
}

/** `fetch-article`'s value: `replace` (also `true`, `yes`), `append`, undefined for off, null when invalid. */
function fetchArticleMode(value: unknown): "replace" | "append" | undefined | null {
  if (value === true) return "replace";
  if (value === false) return undefined;
  const text = typeof value === "string" ? value.trim().toLowerCase() : "";
  if (text === "true" || text === "yes" || text === "replace") return "replace";
  if (text === "append") return "append";
  if (text === "false" || text === "no") return undefined;
  return null;
}

/** `true`/`false` (YAML), or the text `true`, `false`, `yes`, `no` (OPML, the plain list). */
function booleanOption(value: unknown, name: string, where: (name: string) => string): boolean {
  if (typeof value === "boolean") return value;
  const text = typeof value === "string" ? value.trim().toLowerCase() : "";
  if (text === "true" || text === "yes") return true;
  if (text === "false" || text === "no") return false;
  throw new FeedOptionError(
    `${where(name)}: \`${name}\` must be true or false, got ${JSON.stringify(value)}`,
    `write ${name}="true" or ${name}="false"`,
  );
}

/**
 * A feed option the feed list sets to a value it cannot have; `message` says where.
 *
 * @example
 * ```ts
 * const error = new FeedOptionError("feeds.txt:2:40: `thread` must be true or false", "write thread=\"true\"");
 * console.log(error.code); // "E_FEED_OPTION"
 * ```
 */
export class FeedOptionError extends SluiceError {
  /**
   * @param message what is wrong and where
   * @param hint what to do
   */
  constructor(message: string, hint: string) {
    super("E_FEED_OPTION", message, hint);
  }
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
