/**
 * Atom 1.0 and 0.3 documents to a {@link ParsedFeed}. Text constructs (`title`, `summary`, `content`)
 * come as `type="text|html|xhtml"` (1.0) or a MIME type plus `mode="xml|escaped|base64"` (0.3); `html` and
 * `summary` always come out as HTML (plain text escaped, XHTML serialised from inside its `<div>`), titles
 * as plain text. `xml:base` is honoured on the feed, the entry and each link.
 * @module
 */
import type { Enclosure, FeedEntry, ParsedFeed } from "./types.ts";
import { parseFeedDate } from "./dates.ts";
import { escapeAttribute } from "../html/html_escape.ts";
import { htmlToText, singleLine } from "./plain_text.ts";
import { entryId } from "./entry_id.ts";
import { resolveUrl } from "./urls.ts";
import type { XmlElement, XmlNode } from "./xml.ts";
import { contentBase } from "./content_base.ts";
import { attrOf, baseOf, childrenByKey, markupOf, serializeHtml, textOf } from "./xml_query.ts";
import { compactEntry } from "./compact_entry.ts";

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
  const fields = childrenByKey(root, home);
  const feedAuthor = authorNames(fields.get("author"), home);
  const entries = (fields.get("entry") ?? []).map((entry) =>
    mapEntry(childrenByKey(entry, home), baseOf(entry, feedBase), home, feedAuthor, url)
  );
  return {
    format,
    title: plainText(first(fields, "title")),
    link: alternateLink(fields.get("link"), feedBase),
    entries,
  };
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
  const title = plainText(first(fields, "title"));
  const html = constructHtml(first(fields, "content"));
  const summary = constructHtml(first(fields, "summary"));
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
      singleLine(textOf(first(fields, "dc:creator"))) ?? feedAuthor,
    categories: categoriesOf(fields.get("category")),
    html,
    summary,
    enclosures,
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
    return singleLine(textOf(first(person, "name")) ?? textOf(first(person, "email")) ?? textOf(a));
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

type ConstructKind = "text" | "html" | "xhtml" | "base64" | "other";

/** What a text construct holds, from Atom 1.0 `type` or Atom 0.3 MIME `type` plus `mode`. */
function constructKind(element: XmlElement): ConstructKind {
  const type = (attrOf(element, "type") ?? "text").toLowerCase();
  const mode = attrOf(element, "mode")?.toLowerCase();
  if (mode === "base64") return "base64";
  if (type === "xhtml" || type === "application/xhtml+xml") return mode === "escaped" ? "html" : "xhtml";
  if (type === "html" || type === "text/html") return "html";
  if (type === "text" || type.startsWith("text/")) return mode === "escaped" ? "html" : "text";
  return "other";
}

/** A text construct as HTML; undefined for out-of-line (`src`) or non-text content. */
function constructHtml(element: XmlElement | undefined): string | undefined {
  if (element === undefined || attrOf(element, "src") !== undefined) return undefined;
  switch (constructKind(element)) {
    case "html":
      return markupOf(element);
    case "xhtml": {
      const html = serializeHtml(xhtmlContent(element)).trim();
      return html === "" ? undefined : html;
    }
    case "text": {
      const text = textOf(element);
      return text === undefined ? undefined : escapeAttribute(text);
    }
    case "base64":
      return decodeBase64(textOf(element));
    default:
      return undefined;
  }
}

/** The nodes inside the wrapping XHTML `<div>` Atom requires, or all children when a feed omits it. */
function xhtmlContent(element: XmlElement): XmlNode[] {
  const elements = element.children.filter((c) => typeof c !== "string");
  const onlyText = element.children.every((c) => typeof c !== "string" || c.trim() === "");
  const div = elements[0];
  return elements.length === 1 && onlyText && div.local === "div" ? div.children : element.children;
}

/** A title or other text construct as plain text. */
function plainText(element: XmlElement | undefined): string | undefined {
  if (element === undefined) return undefined;
  const kind = constructKind(element);
  if (kind === "text" || kind === "other") return singleLine(textOf(element));
  const html = constructHtml(element);
  const text = html === undefined ? undefined : htmlToText(html);
  return text === "" ? undefined : text;
}

function decodeBase64(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const bytes = Uint8Array.from(atob(text.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
  } catch {
    return undefined;
  }
}
