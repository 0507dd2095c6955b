/**
 * `fetch-article`: an entry's web page fetched and its main article put in the message, instead of the
 * feed's content (`replace`) or after it (`append`). A page that cannot be fetched or has no article
 * leaves the feed's content, and the message says so in its `X-Sluice-Article` header.
 * @module
 */
import type { ArticleHtml } from "../dom/article_html.ts";
import type { EntryItem } from "./types.ts";
import { redactUrlsIn } from "../../engine/errors.ts";

/**
 * How {@linkcode withArticle} gets a page and its article: the run's HTTP client and the extractor
 * (on the worker pool in rss2imap).
 *
 * @example
 * ```ts
 * const tools: ArticleTools = {
 *   fetchPage: () => Promise.reject(new Error("offline")),
 *   extract: () => Promise.resolve(undefined),
 * };
 * ```
 */
export interface ArticleTools {
  /** The page's bytes, its `Content-Type` and its URL after redirects; rejects when it cannot be had. */
  fetchPage: (url: string) => Promise<{ body: Uint8Array; contentType?: string; finalUrl: string }>;
  /** The main article of the page, undefined when there is none. */
  extract: (
    body: Uint8Array,
    contentType: string | undefined,
    url: string,
  ) => Promise<ArticleHtml | undefined>;
}

/**
 * The entry with the article at its link in its HTML (per the feed's `fetchArticle` mode), and
 * `article` saying where it came from; on failure the entry as it was, with `article.fallback` giving the
 * reason (the caller logs it). An entry without a link is returned as it is. Rejects only when `signal`
 * aborts.
 *
 * @example
 * ```ts
 * import { withArticle } from "./entry_article.ts";
 * const item = await withArticle({
 *   feed: { url: "https://example.org/feed.xml", folder: "News", options: { fetchArticle: "replace" } },
 *   entry: { id: "1", link: "https://example.org/1", summary: "Short", enclosures: [] }, images: [],
 * }, { fetchPage: () => Promise.reject(new Error("HTTP 404")), extract: () => Promise.resolve(undefined) });
 * console.log(item.entry.summary, item.article); // "Short" { url: "https://example.org/1", fallback: "HTTP 404" }
 * ```
 */
export async function withArticle(
  item: EntryItem,
  tools: ArticleTools,
  signal?: AbortSignal,
): Promise<EntryItem> {
  const url = item.entry.link;
  if (!url) return item;
  let page;
  try {
    page = await tools.fetchPage(url);
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    // A FetchError's message names the URL again: the header and the log name it once.
    const reason = (e as Error).message.replace(/^fetching \S+ failed: /, "");
    return { ...item, article: { url, fallback: redactUrlsIn(reason) } };
  }
  let found;
  try {
    found = await tools.extract(page.body, page.contentType, page.finalUrl);
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    return {
      ...item,
      article: { url, fallback: `extraction failed: ${redactUrlsIn((e as Error).message)}` },
    };
  }
  if (!found) return { ...item, article: { url, fallback: "no article found on the page" } };
  const feedHtml = item.entry.html ?? item.entry.summary ?? "";
  const mode = item.feed.options?.fetchArticle ?? "replace";
  const html = mode === "append" && feedHtml.trim() !== ""
    ? `${feedHtml}\n<hr class="sluice-article">\n${found.html}`
    : found.html;
  // Relative URLs of the article resolve against the page it came from (after redirects).
  return {
    ...item,
    entry: { ...item.entry, html, base: page.finalUrl },
    article: { url: page.finalUrl },
  };
}
