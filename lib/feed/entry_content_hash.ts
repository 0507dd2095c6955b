/**
 * What makes an entry "changed" for `on-update`: a hash of its title and content (the HTML, else the
 * summary). Its dates, links and categories are left out, so a feed that only bumps `updated` does not
 * send anything again.
 * @module
 */
import { createHash } from "node:crypto";
import type { FeedEntry } from "./types.ts";

/**
 * 32 hex digits of SHA-256 over the entry's title and content: equal for an entry that did not change
 * (whatever its dates say), different once its title or content changed.
 *
 * @example
 * ```ts
 * import { entryContentHash } from "./entry_content_hash.ts";
 * const a = entryContentHash({ id: "1", title: "Hi", html: "<p>x</p>", updated: "2026-01-01", enclosures: [] });
 * const b = entryContentHash({ id: "1", title: "Hi", html: "<p>x</p>", updated: "2026-02-01", enclosures: [] });
 * console.log(a === b); // true: only the date changed
 * ```
 */
export function entryContentHash(entry: FeedEntry): string {
  return createHash("sha256")
    .update(entry.title ?? "")
    .update("\u0000")
    .update(entry.html ?? entry.summary ?? "")
    .digest("hex")
    .slice(0, 32);
}
