/**
 * Atom 1.0 and 0.3 documents to a {@link ParsedFeed}. Text constructs (`title`, `summary`, `content`)
 * come as `type="text|html|xhtml"` (1.0) or a MIME type plus `mode="xml|escaped|base64"` (0.3); `html` and
 * `summary` always come out as HTML (plain text escaped, XHTML serialised from inside its `<div>`), titles
 * as plain text (`text_construct.ts`). `xml:base` is honoured on the feed, the entry, each link and inside
 * the content. A standalone `<entry>` document is a feed of that one entry.
 * @module
 */
import type { Enclosure, FeedEntry, ParsedFeed } from "./types.ts";
import { parseFeedDate } from "./dates.ts";
import { entryId } from "./entry_id.ts";
import { resolveUrl } from "./urls.ts";
import type { XmlElement } from "./xml.ts";
import { contentBase } from "./content_base.ts";
import { attrOf, baseOf, childrenByKey, textOf } from "./xml_query.ts";
import { compactEntry } from "./compact_entry.ts";
import { constructHtml, constructText } from "./text_construct.ts";
import { mediaImages } from "./media_images.ts";
import { personName } from "./people.ts";
import { singleLine } from "./plain_text.ts";

type Fields = Map<string, XmlElement[]>;

const first = (fields: Fields, key: string) => fields.get(key)?.[0];

/**
 * Maps an Atom `<feed>` root element.
 *
 * @param root the `<feed>` element
 * @param format `atom1.0` or `atom0.3`
 * @param url the feed URL (the base when no `xml:base` applies)
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * import { mapAtom } from "./atom.ts";
 * const { root } = parseXml('<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title></feed>');
 * mapAtom(root, "atom1.0", "https://ex.org/atom").title; // "T"
 * ```
 */
export function mapAtom(root: XmlElement, format: ParsedFeed["format"], url: string): ParsedFeed {
  const home = root.ns;
  const feedBase = baseOf(root, url);
  const standaloneEntry = root.local === "entry";
  const fields = standaloneEntry ? new Map() : childrenByKey(root, home);
  const feedAuthor = authorNames(fields.get("author"), home);
  const entryElements = standaloneEntry ? [root] : complete(fields.get("entry"));
  const entries = entryElements.map((entry) =>
    mapEntry(childrenByKey(entry, home), baseOf(entry, feedBase), home, feedAuthor, url)
  );
  return {
    format,
    title: constructText(first(fields, "title")),
    link: alternateLink(fields.get("link"), feedBase),
    entries,
  };
}

/** Entries the document did not end inside of (a truncated entry's content may be cut short). */
function complete(entries: XmlElement[] | undefined): XmlElement[] {
  return entries?.filter((e) => e.truncated !== true) ?? [];
}

function mapEntry(
  fields: Fields,
  base: string,
  home: string,
  feedAuthor: string | undefined,
  documentUrl: string,
): FeedEntry {
  const link = alternateLink(fields.get("link"), base);
  const content = first(fields, "content") ?? first(fields, "summary");
  const title = constructText(first(fields, "title"));
  const html = constructHtml(first(fields, "content"), baseOf(first(fields, "content"), base)) ??
    constructHtml(first(fields, "content:encoded"));
  const summary = constructHtml(first(fields, "summary"), baseOf(first(fields, "summary"), base));
  const enclosures = (fields.get("link") ?? []).flatMap((l) => enclosureOf(l, base));
  const source = first(fields, "source");
  return compactEntry({
    id: entryId({ id: textOf(first(fields, "id")), link, title, html, summary, enclosures }),
    title,
    link,
    base: contentBase(baseOf(content, base), documentUrl, link),
    published: dateOf(fields, "published", "issued", "created", "dc:date"),
    updated: dateOf(fields, "updated", "modified"),
    author: authorNames(fields.get("author"), home) ??
      (source ? authorNames(childrenByKey(source, home).get("author"), home) : undefined) ??
      personName(textOf(first(fields, "dc:creator")) ?? textOf(first(fields, "dc:author"))) ??
      personName(textOf(first(fields, "itunes:author"))) ?? feedAuthor,
    categories: categoriesOf(fields.get("category")),
    html,
    summary,
    enclosures,
    images: mediaImages(fields, enclosures, base),
  });
}

/** `<category term label>`: the label when given, else the term; undefined when there are none. */
function categoriesOf(elements: XmlElement[] | undefined): string[] | undefined {
  if (elements === undefined) return undefined;
  const names = elements.map((e) => singleLine(e.attrs.label ?? e.attrs.term)).filter((n): n is string =>
    n !== undefined && n !== ""
  );
  return names.length > 0 ? names : undefined;
}

function dateOf(fields: Fields, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const date = parseFeedDate(textOf(first(fields, key)));
    if (date !== undefined) return date;
  }
  return undefined;
}

function authorNames(authors: XmlElement[] | undefined, home: string): string | undefined {
  const names = (authors ?? []).map((a) => {
    const person = childrenByKey(a, home);
    return personName(textOf(first(person, "name")) ?? textOf(first(person, "email")) ?? textOf(a));
  }).filter((n) => n !== undefined);
  return names.length > 0 ? names.join(", ") : undefined;
}

/** The `rel="alternate"` link (rel defaults to alternate), an HTML one first, resolved. */
function alternateLink(links: XmlElement[] | undefined, base: string): string | undefined {
  const alternates = (links ?? []).filter((l) => (attrOf(l, "rel") ?? "alternate") === "alternate");
  const link = alternates.find((l) => /html/i.test(attrOf(l, "type") ?? "text/html")) ?? alternates[0];
  const href = attrOf(link, "href");
  return href === undefined ? undefined : resolveUrl(href, baseOf(link, base));
}

function enclosureOf(link: XmlElement, base: string): Enclosure[] {
  const href = attrOf(link, "href");
  if (attrOf(link, "rel") !== "enclosure" || href === undefined) return [];
  const length = Number.parseInt(attrOf(link, "length") ?? "", 10);
  return [{
    url: resolveUrl(href, baseOf(link, base)),
    ...(attrOf(link, "type") ? { type: attrOf(link, "type") } : {}),
    ...(Number.isFinite(length) && length >= 0 ? { length } : {}),
  }];
}
