/**
 * Entries without `undefined`-valued keys: they compare equal to literals in tests, print cleanly and
 * cross a worker boundary smaller.
 * @module
 */
import type { FeedEntry } from "./types.ts";

/**
 * A copy of `entry` without the keys whose value is `undefined` (copied rather than `delete`d: deleting
 * keys turns objects into slow dictionaries).
 *
 * @example
 * ```ts
 * import { compactEntry } from "./compact_entry.ts";
 * compactEntry({ id: "1", title: undefined, enclosures: [] }); // { id: "1", enclosures: [] }
 * ```
 */
export function compactEntry(entry: FeedEntry): FeedEntry {
  // Not a `{}` literal: a literal's allocation site gets pretenured once V8 sees its objects survive (every
  // entry of a document does), and every later entry would then be allocated in the old generation
  // (see xml.ts). `Object.create` has no allocation site.
  const compact: Record<string, unknown> = Object.create(Object.prototype);
  const fields = entry as unknown as Record<string, unknown>;
  // for...in over an object literal: no [key, value] pair allocated per field of every entry.
  for (const key in fields) {
    const value = fields[key];
    if (value !== undefined) compact[key] = value;
  }
  return compact as unknown as FeedEntry;
}
