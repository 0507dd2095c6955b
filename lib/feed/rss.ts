/**
 * RSS 0.9x, 1.0 (RDF) and 2.0 documents to a {@link ParsedFeed}. The three share their item vocabulary
 * (`title`, `link`, `description`) and the usual extensions (`content:encoded`, `dc:*`, `atom:link`);
 * RDF puts items beside the channel rather than inside it, so both places are read. Full content comes
 * from `content:encoded`, else `xhtml:body`, `fullitem` or `atom:content`; authors from `author` (`email
 * (Name)`, `Name <email>`), `dc:creator`, `dc:author`, `itunes:author` or `atom:author`; `xml:base` on
 * the root, channel, item, content and enclosure elements.
 * @module
 */
import type { Enclosure, FeedEntry, ParsedFeed } from "./types.ts";
import { parseFeedDate } from "./dates.ts";
import { entryId } from "./entry_id.ts";
import { singleLine } from "./plain_text.ts";
import { constructHtml } from "./text_construct.ts";
import { mediaImages } from "./media_images.ts";
import { personName } from "./people.ts";
import { resolveUrl } from "./urls.ts";
import type { XmlElement } from "./xml.ts";
import { contentBase } from "./content_base.ts";
import { attrOf, baseOf, childrenByKey, keyOf, markupOf, textOf } from "./xml_query.ts";
import { compactEntry } from "./compact_entry.ts";

type Fields = Map<string, XmlElement[]>;

const first = (fields: Fields, key: string) => fields.get(key)?.[0];

/**
 * Maps an RSS or RDF root element. Relative links and enclosures resolve against `xml:base` when a feed
 * uses it, else against the feed URL.
 *
 * @param root the `<rss>` or `<rdf:RDF>` element
 * @param format the version detected from the root
 * @param url the feed URL (the base for relative links)
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * import { mapRss } from "./rss.ts";
 * const { root } = parseXml('<rss version="2.0"><channel><title>T</title></channel></rss>');
 * mapRss(root, "rss2.0", "https://ex.org/feed").title; // "T"
 * ```
 */
export function mapRss(root: XmlElement, format: ParsedFeed["format"], url: string): ParsedFeed {
  const rootBase = baseOf(root, url);
  const top = childrenByKey(root, "");
  const channel = first(top, "channel");
  const channelBase = baseOf(channel, rootBase);
  const fields: Fields = channel ? childrenByKey(channel, "") : new Map();
  const entries: FeedEntry[] = [];
  // An item the document ended inside of may be cut short: it waits for a complete copy.
  for (const item of fields.get("item") ?? []) {
    if (item.truncated !== true) entries.push(mapItem(item, baseOf(item, channelBase), url));
  }
  for (const item of top.get("item") ?? []) {
    if (item.truncated !== true) entries.push(mapItem(item, baseOf(item, rootBase), url));
  }
  const link = textOf(first(fields, "link")) ?? alternateHref(fields.get("atom:link"));
  return {
    format,
    title: singleLine(textOf(first(fields, "title")) ?? textOf(first(fields, "dc:title"))),
    link: link === undefined ? undefined : resolveUrl(link, channelBase),
    entries,
  };
}

function mapItem(item: XmlElement, base: string, documentUrl: string): FeedEntry {
  const fields = childrenByKey(item, "");
  const guidElement = first(fields, "guid");
  const guid = textOf(guidElement);
  const guidIsLink = guid !== undefined && attrOf(guidElement, "isPermaLink")?.toLowerCase() !== "false" &&
    /^https?:\/\//i.test(guid);
  const href = textOf(first(fields, "link")) ?? alternateHref(fields.get("atom:link")) ??
    (guidIsLink ? guid : undefined);
  const link = href === undefined ? undefined : resolveUrl(href, base);
  const title = singleLine(textOf(first(fields, "title")) ?? textOf(first(fields, "dc:title")));
  const contentElement = first(fields, "content:encoded") ?? first(fields, "xhtml:body") ??
    first(fields, "fullitem") ?? first(fields, "atom:content");
  const contentScope = baseOf(contentElement, base);
  const html = contentElement === undefined
    ? undefined
    : contentElement.local === "body"
    ? constructHtml({ ...contentElement, attrs: { type: "xhtml" } }, contentScope)
    : contentElement.ns !== "" && keyOf(contentElement, "") === "atom:content"
    ? constructHtml(contentElement, contentScope)
    : markupOf(contentElement);
  const summary = markupOf(first(fields, "description")) ?? markupOf(first(fields, "dc:description")) ??
    markupOf(first(fields, "itunes:summary")) ?? constructHtml(first(fields, "atom:summary"));
  const enclosures = (fields.get("enclosure") ?? []).flatMap((e) => enclosureOf(e, base));
  return compactEntry({
    id: entryId({ id: guid ?? attrOf(item, "about"), link, title, html, summary, enclosures }),
    title,
    link,
    base: contentBase(contentScope, documentUrl, link),
    published: dateOf(fields, "pubdate", "dc:date", "dcterms:issued", "dcterms:created"),
    updated: dateOf(fields, "atom:updated", "dcterms:modified"),
    author: personName(textOf(first(fields, "author"))) ?? joinedNames(fields.get("dc:creator")) ??
      joinedNames(fields.get("dc:author")) ?? personName(textOf(first(fields, "itunes:author"))) ??
      atomAuthor(fields.get("atom:author")),
    categories: categoriesOf(fields.get("category") ?? fields.get("dc:subject")),
    html,
    summary,
    enclosures,
    images: mediaImages(fields, enclosures, base),
  });
}

/** The first of `keys` that holds a parseable date. */
function dateOf(fields: Fields, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const date = parseFeedDate(textOf(first(fields, key)));
    if (date !== undefined) return date;
  }
  return undefined;
}

/** The texts of `<category>` (or `dc:subject`) elements; undefined when there are none. */
function categoriesOf(elements: XmlElement[] | undefined): string[] | undefined {
  if (elements === undefined) return undefined;
  const names = elements.map((e) => singleLine(textOf(e))).filter((n): n is string => n !== undefined);
  return names.length > 0 ? names : undefined;
}

function joinedNames(elements: XmlElement[] | undefined): string | undefined {
  const names = (elements ?? []).map((e) => personName(textOf(e))).filter((n) => n !== undefined);
  return names.length > 0 ? names.join(", ") : undefined;
}

/** `<atom:author><atom:name>` in an RSS item. */
function atomAuthor(authors: XmlElement[] | undefined): string | undefined {
  const author = authors?.[0];
  if (author === undefined) return undefined;
  const person = childrenByKey(author, author.ns);
  return personName(textOf(person.get("name")?.[0]) ?? textOf(person.get("email")?.[0]) ?? textOf(author));
}

/** `href` of the first `atom:link` that is the alternate (HTML) link. */
function alternateHref(links: XmlElement[] | undefined): string | undefined {
  const link = links?.find((l) => (attrOf(l, "rel") ?? "alternate") === "alternate");
  return attrOf(link, "href");
}

function enclosureOf(element: XmlElement, base: string): Enclosure[] {
  const url = attrOf(element, "url");
  if (url === undefined) return [];
  const length = Number.parseInt(attrOf(element, "length") ?? "", 10);
  return [{
    url: resolveUrl(url, baseOf(element, base)),
    ...(attrOf(element, "type") ? { type: attrOf(element, "type") } : {}),
    ...(Number.isFinite(length) && length >= 0 ? { length } : {}),
  }];
}
