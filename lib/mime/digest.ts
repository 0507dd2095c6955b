/**
 * Digests: one message per run and folder listing the new entries of its feeds set to `digest: true`,
 * each with its title, link, author, date and content (its images are inlined later like any entry's).
 * @module
 */
import { createHash } from "node:crypto";
import { escapeAttribute } from "../html/html_escape.ts";
import type { FeedEntry } from "../feed/types.ts";
import type { EntryItem } from "./types.ts";

/** The entry's HTML, with the images the feed attaches outside it when it has none of its own. */
function bodyOf(entry: FeedEntry): string {
  const body = entry.html ?? entry.summary ?? "";
  if (!entry.images?.length || /<img\b/i.test(body)) return body;
  return `${body}\n${
    entry.images.map((src) => `<p><img src="${escapeAttribute(src)}" alt=""></p>`).join("\n")
  }`;
}

/**
 * The digest of a folder's new entries of a run (`items`, from one feed or several) as one entry item.
 * Its id is derived from the feeds and ids it lists, so the same new entries make the same digest
 * whatever order they arrived in (a run that crashed after the append finds it in the mailbox); it
 * belongs to the first of its feeds by URL, and `covers` lists its entries, to be marked delivered only
 * once the digest is stored. The subject names the feed when there is one, else the folder.
 *
 * @example
 * ```ts
 * import { folderDigest } from "./digest.ts";
 * const feed = { url: "https://example.org/feed.xml", folder: "News" };
 * const digest = folderDigest("News", [
 *   { feed, feedTitle: "Example", entry: { id: "1", title: "One", html: "<p>First</p>", enclosures: [] }, images: [] },
 *   { feed, feedTitle: "Example", entry: { id: "2", title: "Two", summary: "Second", enclosures: [] }, images: [] },
 * ]);
 * console.log(digest.entry.title, digest.covers?.length); // "Example: 2 new entries" 2
 * ```
 */
export function folderDigest(folder: string, items: EntryItem[]): EntryItem {
  const byFeed = [...items].sort((a, b) => compare(a.feed.url, b.feed.url));
  const covers = byFeed.map((i) => ({ feedUrl: i.feed.url, id: i.entry.id }));
  const key = covers.map((c) => `${c.feedUrl}\t${c.id}`).sort().join("\n");
  const id = `digest:${createHash("sha256").update(key).digest("hex").slice(0, 32)}`;
  const feeds = new Set(items.map((i) => i.feed.url));
  const single = feeds.size === 1 ? byFeed[0] : undefined;
  const name = single ? single.feedTitle : folder;
  // Oldest first across feeds; entries without a date keep their place after the dated ones of their feed.
  const shown = byFeed.map((item, order) => ({ item, order, time: Date.parse(dateOf(item.entry) ?? "") }))
    .sort((a, b) => (Number.isNaN(a.time) || Number.isNaN(b.time) ? a.order - b.order : a.time - b.time))
    .map((x) => x.item);
  const count = `${items.length} new ${items.length === 1 ? "entry" : "entries"}`;
  const sections = shown.map(({ entry: e, feedTitle }) => {
    const title = escapeAttribute(e.title ?? "(untitled)");
    const heading = e.link ? `<a href="${escapeAttribute(e.link)}">${title}</a>` : title;
    const about = [single ? undefined : feedTitle, e.author, dateOf(e)].filter(Boolean)
      .map((s) => escapeAttribute(s!)).join(" · ");
    return `<section class="sluice-digest-entry">\n<h2>${heading}</h2>\n${
      about ? `<p><small>${about}</small></p>\n` : ""
    }` +
      `${bodyOf(e)}\n</section>`;
  });
  const contents = shown.map(({ entry: e }) =>
    `<li>${e.link ? `<a href="${escapeAttribute(e.link)}">` : ""}${escapeAttribute(e.title ?? "(untitled)")}${
      e.link ? "</a>" : ""
    }</li>`
  );
  const dates = items.map((i) => dateOf(i.entry)).filter((d): d is string => d !== undefined).sort();
  const first = byFeed[0];
  return {
    feed: { ...first.feed, folder },
    feedTitle: name,
    entry: {
      id,
      title: name ? `${name}: ${count}` : count,
      ...(dates.length > 0 ? { published: dates[dates.length - 1] } : {}),
      html: `<ul class="sluice-digest-contents">\n${contents.join("\n")}\n</ul>\n${
        sections.join("\n<hr>\n")
      }`,
      enclosures: shown.flatMap((i) => i.entry.enclosures),
    },
    images: [],
    covers,
  };
}

function dateOf(e: FeedEntry): string | undefined {
  return e.published ?? e.updated;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
