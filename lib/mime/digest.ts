/**
 * Digests: one message listing a feed's new entries of a run (`digest: true`), each with its title, link,
 * author, date and content (its images are inlined later like any entry's).
 * @module
 */
import { createHash } from "node:crypto";
import { escapeAttribute } from "../html/html_escape.ts";
import type { FeedEntry } from "../feed/types.ts";

/** The entry's HTML, with the images the feed attaches outside it when it has none of its own. */
function bodyOf(entry: FeedEntry): string {
  const body = entry.html ?? entry.summary ?? "";
  if (!entry.images?.length || /<img\b/i.test(body)) return body;
  return `${body}\n${
    entry.images.map((src) => `<p><img src="${escapeAttribute(src)}" alt=""></p>`).join("\n")
  }`;
}

/**
 * The digest of `entries` (oldest first) as one entry. Its id is derived from the ids it covers, so the
 * same new entries make the same digest (a run that crashed after the append finds it in the mailbox);
 * `covers` lists them, to be marked delivered only once the digest is stored.
 *
 * @example
 * ```ts
 * import { digestEntry } from "./digest.ts";
 * const { entry, covers } = digestEntry("Example", [
 *   { id: "1", title: "One", html: "<p>First</p>", enclosures: [] },
 *   { id: "2", title: "Two", summary: "Second", enclosures: [] },
 * ]);
 * console.log(entry.title, covers); // "Example: 2 new entries" ["1", "2"]
 * ```
 */
export function digestEntry(feedTitle: string | undefined, entries: FeedEntry[]): {
  entry: FeedEntry;
  covers: string[];
} {
  const covers = entries.map((e) => e.id);
  const id = `digest:${createHash("sha256").update(covers.join("\n")).digest("hex").slice(0, 32)}`;
  const count = `${entries.length} new ${entries.length === 1 ? "entry" : "entries"}`;
  const sections = entries.map((e) => {
    const title = escapeAttribute(e.title ?? "(untitled)");
    const heading = e.link ? `<a href="${escapeAttribute(e.link)}">${title}</a>` : title;
    const about = [e.author, e.published ?? e.updated].filter(Boolean).map((s) => escapeAttribute(s!)).join(
      " · ",
    );
    return `<section class="sluice-digest-entry">\n<h2>${heading}</h2>\n${
      about ? `<p><small>${about}</small></p>\n` : ""
    }` +
      `${bodyOf(e)}\n</section>`;
  });
  const contents = entries.map((e) =>
    `<li>${e.link ? `<a href="${escapeAttribute(e.link)}">` : ""}${escapeAttribute(e.title ?? "(untitled)")}${
      e.link ? "</a>" : ""
    }</li>`
  );
  const dates = entries.map((e) => e.published ?? e.updated).filter((d): d is string => d !== undefined)
    .sort();
  return {
    entry: {
      id,
      title: feedTitle ? `${feedTitle}: ${count}` : count,
      ...(dates.length > 0 ? { published: dates[dates.length - 1] } : {}),
      html: `<ul class="sluice-digest-contents">\n${contents.join("\n")}\n</ul>\n${
        sections.join("\n<hr>\n")
      }`,
      enclosures: entries.flatMap((e) => e.enclosures),
    },
    covers,
  };
}
