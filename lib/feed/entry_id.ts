/**
 * The id an entry is remembered by. Feeds give one (RSS `guid`, Atom `id`, JSON Feed `id`) most of the
 * time; otherwise the entry link identifies it; an entry with neither gets a SHA-1 of what it says, so
 * re-reading the same feed gives the same id and an edited entry counts as new.
 * @module
 */
import { createHash } from "node:crypto";
import type { Enclosure } from "./types.ts";

/** What an entry offers to identify it. */
export interface EntryIdSources {
  /** guid / id as the feed wrote it. */
  id?: string;
  /** Absolute entry link. */
  link?: string;
  title?: string;
  html?: string;
  summary?: string;
  enclosures?: Enclosure[];
}

/**
 * The entry id: `id` if not blank, else `link`, else `sha1:<hex>` of title, content and enclosure URLs.
 *
 * @example
 * ```ts
 * import { entryId } from "./entry_id.ts";
 * entryId({ id: "urn:1", link: "https://ex.org/1" }); // "urn:1"
 * entryId({ title: "Hi", html: "<p>x</p>" }); // "sha1:..." (the same on every call)
 * ```
 */
export function entryId(entry: EntryIdSources): string {
  const id = entry.id?.trim();
  if (id) return id;
  if (entry.link) return entry.link;
  const hash = createHash("sha1");
  // NUL separators: "ab"+"c" and "a"+"bc" must not collide.
  hash.update(`${entry.title ?? ""}\0${entry.html ?? ""}\0${entry.summary ?? ""}`);
  for (const enclosure of entry.enclosures ?? []) hash.update(`\0${enclosure.url}`);
  return `sha1:${hash.digest("hex")}`;
}
