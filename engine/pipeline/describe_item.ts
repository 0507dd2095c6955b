/**
 * Short labels for items in logs, failures and traces.
 * @module
 */
import { redactUrl } from "../errors.ts";

/**
 * A short label for an item in logs, failures and traces: a URL, an entry id, or a string.
 *
 * @example
 * ```ts
 * describeItem({ feed: { url: "https://x/feed" } }); // "https://x/feed"
 * ```
 */
export function describeItem(item: unknown): string | undefined {
  if (typeof item === "string") {
    const label = shown(item); // before cutting: a cut could drop the `@` that marks the credentials
    return label.length > 120 ? label.slice(0, 117) + "..." : label;
  }
  if (typeof item === "number") return String(item);
  if (!item || typeof item !== "object") return undefined;
  const o = item as Record<string, unknown>;
  if (typeof o.label === "string") return shown(o.label);
  const feed = o.feed as Record<string, unknown> | undefined;
  const entry = o.entry as Record<string, unknown> | undefined;
  if (feed && typeof feed.url === "string") {
    const url = shown(feed.url);
    return entry && typeof entry.id === "string" ? `${url} #${entry.id}` : url;
  }
  if (typeof o.feedUrl === "string") {
    const url = shown(o.feedUrl);
    return typeof o.entryId === "string" ? `${url} #${o.entryId}` : url;
  }
  if (typeof o.url === "string") return shown(o.url);
  if (Array.isArray(item)) return `batch of ${item.length}`;
  return undefined;
}

/**
 * Labels end up in logs, summaries and traces, so a URL loses its user name, password and secret query
 * values. The `@`/`?` test first keeps the common case free of URL parsing: this runs for every item.
 */
function shown(label: string): string {
  if (!(label.includes("@") || label.includes("?")) || !/^[a-z][a-z0-9+.-]*:\/\//i.test(label)) return label;
  // A feed's URL labels each of its entries in each stage: parse it once.
  let redacted = redactedLabels.get(label);
  if (redacted === undefined) {
    if (redactedLabels.size >= 1024) redactedLabels.clear();
    redacted = redactUrl(label);
    redactedLabels.set(label, redacted);
  }
  return redacted;
}

const redactedLabels = new Map<string, string>();
