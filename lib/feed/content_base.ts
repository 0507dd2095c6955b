/**
 * Where the relative URLs inside an entry's HTML point, when that is not the entry's own link.
 * @module
 */

/**
 * The base URL for relative URLs in an entry's `html` and `summary`, or undefined when the entry's link is
 * that base. XML Base (which RFC 4287 makes normative for Atom) says the `xml:base` in scope of the content
 * decides, so it wins over the link; without one, the link is what a relative `<img src>` of a post most
 * likely means (rewrite-images' rule), and without a link it is the feed document's own URL: after
 * redirects, which the listed URL is not.
 *
 * @param scoped the base in scope of the content: the document URL with every `xml:base` around it applied
 * @param documentUrl the feed document's URL after redirects
 * @param link the entry's resolved link, if any
 * @example
 * ```ts
 * import { contentBase } from "./content_base.ts";
 * contentBase("https://ex.org/img/", "https://ex.org/feed", "https://ex.org/p/1"); // "https://ex.org/img/"
 * contentBase("https://ex.org/feed", "https://ex.org/feed", "https://ex.org/p/1"); // undefined
 * contentBase("https://ex.org/feed", "https://ex.org/feed", undefined); // "https://ex.org/feed"
 * ```
 */
export function contentBase(
  scoped: string,
  documentUrl: string,
  link: string | undefined,
): string | undefined {
  if (scoped !== documentUrl) return scoped;
  return link === undefined ? documentUrl : undefined;
}
