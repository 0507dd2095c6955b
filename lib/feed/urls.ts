/**
 * Resolving a feed's relative URLs (entry links, enclosures) against the base in effect.
 * @module
 */

/**
 * `href` resolved against `base`; `href` unchanged (trimmed) when either is not a usable URL, so a strange
 * link never costs the entry.
 *
 * @example
 * ```ts
 * import { resolveUrl } from "./urls.ts";
 * resolveUrl("../a.mp3", "https://ex.org/blog/feed.xml"); // "https://ex.org/a.mp3"
 * ```
 */
export function resolveUrl(href: string, base: string): string {
  const trimmed = href.trim();
  try {
    return new URL(trimmed, base).href;
  } catch {
    return trimmed;
  }
}
