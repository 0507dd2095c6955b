/**
 * Short labels for items in logs, failures and traces.
 * @module
 */

/**
 * A short label for an item in logs, failures and traces: a URL, an entry id, or a string.
 *
 * @example
 * ```ts
 * describeItem({ feed: { url: "https://x/feed" } }); // "https://x/feed"
 * ```
 */
export function describeItem(item: unknown): string | undefined {
  if (typeof item === "string") return item.length > 120 ? item.slice(0, 117) + "..." : item;
  if (typeof item === "number") return String(item);
  if (!item || typeof item !== "object") return undefined;
  const o = item as Record<string, unknown>;
  if (typeof o.label === "string") return o.label;
  const feed = o.feed as Record<string, unknown> | undefined;
  const entry = o.entry as Record<string, unknown> | undefined;
  if (feed && typeof feed.url === "string") {
    return entry && typeof entry.id === "string" ? `${feed.url} #${entry.id}` : feed.url;
  }
  if (typeof o.feedUrl === "string") {
    return typeof o.entryId === "string" ? `${o.feedUrl} #${o.entryId}` : o.feedUrl;
  }
  if (typeof o.url === "string") return o.url;
  if (Array.isArray(item)) return `batch of ${item.length}`;
  return undefined;
}
