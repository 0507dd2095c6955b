/**
 * JSON Feed 1.0 and 1.1 (https://jsonfeed.org) to a {@link ParsedFeed}. 1.1 replaced `author` by
 * `authors`; both are read. `content_text` becomes an escaped HTML `summary` (or JSON Feed `summary` when
 * there is no `content_text`).
 * @module
 */
import type { Enclosure, FeedEntry, ParsedFeed } from "./types.ts";
import { parseFeedDate } from "./dates.ts";
import { escapeAttribute } from "../html/html_escape.ts";
import { entryId } from "./entry_id.ts";
import { singleLine } from "./plain_text.ts";
import { resolveUrl } from "./urls.ts";
import { compactEntry } from "./compact_entry.ts";
import { contentBase } from "./content_base.ts";

type Json = Record<string, unknown>;

const VERSION = /^https?:\/\/jsonfeed\.org\/version\/1(\.1)?\/?$/;

/**
 * The JSON Feed version of a parsed JSON document, or undefined when it is not a JSON Feed.
 *
 * @example
 * ```ts
 * import { jsonFeedFormat } from "./json_feed.ts";
 * jsonFeedFormat({ version: "https://jsonfeed.org/version/1.1", items: [] }); // "json1.1"
 * jsonFeedFormat({ data: [] }); // undefined
 * ```
 */
export function jsonFeedFormat(doc: unknown): "json1.0" | "json1.1" | undefined {
  if (!isObject(doc) || typeof doc.version !== "string") return undefined;
  const m = VERSION.exec(doc.version.trim());
  if (m === null) return undefined;
  return m[1] ? "json1.1" : "json1.0";
}

/**
 * Maps a JSON Feed object (already checked by {@link jsonFeedFormat}).
 *
 * @param doc the parsed JSON
 * @param format its version
 * @param url the feed URL (the base for relative `url`s)
 * @example
 * ```ts
 * import { mapJsonFeed } from "./json_feed.ts";
 * const doc = { version: "https://jsonfeed.org/version/1.1", title: "J", items: [{ id: "1", url: "/p" }] };
 * mapJsonFeed(doc, "json1.1", "https://ex.org/feed.json").entries[0].link; // "https://ex.org/p"
 * ```
 */
export function mapJsonFeed(doc: Json, format: "json1.0" | "json1.1", url: string): ParsedFeed {
  const feedAuthor = authorNames(doc);
  const items = Array.isArray(doc.items) ? doc.items.filter(isObject) : [];
  const home = text(doc.home_page_url);
  return {
    format,
    title: singleLine(text(doc.title)),
    link: home === undefined ? undefined : resolveUrl(home, url),
    entries: items.map((item) => mapItem(item, url, feedAuthor)),
  };
}

function mapItem(item: Json, base: string, feedAuthor: string | undefined): FeedEntry {
  const href = text(item.url) ?? text(item.external_url);
  const link = href === undefined ? undefined : resolveUrl(href, base);
  const title = singleLine(text(item.title));
  const html = text(item.content_html);
  const plain = text(item.content_text) ?? text(item.summary);
  const summary = plain === undefined ? undefined : escapeAttribute(plain);
  const enclosures = (Array.isArray(item.attachments) ? item.attachments : []).flatMap((a) =>
    attachment(a, base)
  );
  const id = typeof item.id === "number" ? String(item.id) : text(item.id);
  return compactEntry({
    id: entryId({ id, link, title, html, summary, enclosures }),
    title,
    link,
    base: contentBase(base, base, link),
    published: parseFeedDate(text(item.date_published)),
    updated: parseFeedDate(text(item.date_modified)),
    author: authorNames(item) ?? feedAuthor,
    categories: Array.isArray(item.tags) && item.tags.length > 0
      ? item.tags.flatMap((t) => (typeof t === "string" && singleLine(t)) || [])
      : undefined,
    html,
    summary,
    enclosures,
  });
}

function attachment(value: unknown, base: string): Enclosure[] {
  if (!isObject(value)) return [];
  const url = text(value.url);
  if (url === undefined) return [];
  const size = value.size_in_bytes;
  return [{
    url: resolveUrl(url, base),
    ...(text(value.mime_type) ? { type: text(value.mime_type) } : {}),
    ...(typeof size === "number" && Number.isFinite(size) && size >= 0 ? { length: size } : {}),
  }];
}

/** `authors` (1.1) or `author` (1.0): names joined, else a URL. */
function authorNames(holder: Json): string | undefined {
  const list = Array.isArray(holder.authors)
    ? holder.authors
    : isObject(holder.author)
    ? [holder.author]
    : [];
  const names = list.filter(isObject).map((a) => singleLine(text(a.name) ?? text(a.url)))
    .filter((n) => n !== undefined);
  return names.length > 0 ? names.join(", ") : undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
