/**
 * Which feed format a document is, from its content (the Content-Type header is too often wrong:
 * `text/html` for RSS, `application/octet-stream` for Atom), and a reason when it is none.
 * @module
 */
import type { ParsedFeed } from "./types.ts";
import type { XmlDocument } from "./xml.ts";

/** Outcome of {@link detectXmlFormat}: a format, or the reason the document is not a feed. */
export type Detection = { format: ParsedFeed["format"] } | { notAFeed: string };

/** An HTML page's start; a doctype alone does not decide (an Atom feed behind `<!DOCTYPE html>` is a feed). */
const HTML_START =
  /^[\s\ufeff]*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*|<!DOCTYPE\s+html[^>]*>\s*)*<(?:html|head|body|meta)[\s>/]/i;

/**
 * True when the text starts like an HTML page, checked before XML parsing because most pages are not
 * well-formed XML and "malformed XML" would hide the real problem.
 *
 * @example
 * ```ts
 * import { looksLikeHtml } from "./detect.ts";
 * looksLikeHtml("<!doctype html><html><body></body></html>"); // true
 * ```
 */
export function looksLikeHtml(text: string): boolean {
  return HTML_START.test(text.slice(0, 4096));
}

const ATOM_10 = /^https?:\/\/www\.w3\.org\/2005\/atom\/?$/i;
const ATOM_03 = /^https?:\/\/purl\.org\/atom\/ns#?$/i;
const RSS_09 = /^https?:\/\/my\.netscape\.com\/rdf\/simple\/0\.9\/?$/i;

/**
 * The feed format of a parsed XML document: `<rss version>` (0.90-0.94 are `rss0.9x`, anything else
 * `rss2.0`), `<rdf:RDF>` (`rss0.9x` for the Netscape 0.90 namespace, else `rss1.0`), `<feed>` (`atom0.3`
 * for its namespace or `version="0.3"`, else `atom1.0`), an Atom `<entry>` (a feed of one entry).
 *
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * import { detectXmlFormat } from "./detect.ts";
 * detectXmlFormat(parseXml('<rss version="0.91"><channel/></rss>')); // { format: "rss0.9x" }
 * ```
 */
export function detectXmlFormat(doc: XmlDocument): Detection {
  const root = doc.root;
  const local = root.local.toLowerCase();
  if (local === "rss") {
    const version = root.attrs.version?.trim() ?? "";
    return { format: /^0\.9\d*$/.test(version) ? "rss0.9x" : "rss2.0" };
  }
  if (local === "rdf") {
    const netscape = root.children.some((c) => typeof c !== "string" && RSS_09.test(c.ns));
    return { format: netscape ? "rss0.9x" : "rss1.0" };
  }
  if (local === "feed") {
    return { format: ATOM_03.test(root.ns) || root.attrs.version?.trim() === "0.3" ? "atom0.3" : "atom1.0" };
  }
  // A standalone Atom entry document (RFC 4287 section 4.1.2): a feed of one entry.
  if (local === "entry" && (ATOM_10.test(root.ns) || ATOM_03.test(root.ns))) {
    return { format: ATOM_03.test(root.ns) ? "atom0.3" : "atom1.0" };
  }
  if (local === "html" || doc.doctype?.toLowerCase() === "html") {
    return { notAFeed: "not a feed: got an HTML page" };
  }
  return { notAFeed: `not a feed: the root element is <${root.name}>, not <rss>, <rdf:RDF> or <feed>` };
}
