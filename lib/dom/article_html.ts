/**
 * The main article of a fetched web page as HTML (Mozilla's Readability on linkedom's DOM), for mail
 * bodies (`fetch-article` of rss2imap). No top-level side effects beyond imports, so the worker pool can
 * run it (`ARTICLE_HTML_TASK`): parsing a page and scoring its nodes is CPU work.
 * @module
 */
import { Readability } from "npm:@mozilla/readability@^0.6.0";
import { parseHTML } from "npm:linkedom@^0.18.15";
import type { HtmlDocument } from "./document_call.ts";

/**
 * What {@linkcode articleHtml} found on a page.
 *
 * @example
 * ```ts
 * const a: ArticleHtml = { title: "Post", byline: "Ann", html: "<div><p>Text</p></div>", length: 4 };
 * ```
 */
export interface ArticleHtml {
  /** The article's title (Readability's, else the page's `<title>`). */
  title: string;
  /** Its author line, `""` when the page gives none. */
  byline: string;
  /** The article's HTML (not sanitised: the mail's HTML pass does that). */
  html: string;
  /** Characters of text in it. */
  length: number;
}

const META_CHARSET = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i;

/**
 * The page's text: the charset of the `Content-Type` header, else of a `<meta>` in its first 2 KB, else
 * UTF-8 (bytes that are not UTF-8 are read as windows-1252).
 *
 * @example
 * ```ts
 * import { decodePage } from "./article_html.ts";
 * decodePage(new Uint8Array([0x3c, 0x70, 0x3e, 0xe9]), "text/html; charset=iso-8859-1"); // "<p>é"
 * ```
 */
export function decodePage(bytes: Uint8Array, contentType?: string): string {
  const header = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType ?? "")?.[1];
  const meta = META_CHARSET.exec(new TextDecoder("windows-1252").decode(bytes.subarray(0, 2048)))?.[1];
  for (const label of [header, meta]) {
    if (!label) continue;
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // an unknown label: try the next source
    }
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder("windows-1252").decode(bytes);
  }
}

/**
 * The main article of the page `bytes` (as served with `contentType` from `url`, against which its
 * relative links and images are made absolute), or undefined when Readability finds none (a page without
 * an article, an empty one, or one it cannot parse).
 *
 * @example
 * ```ts
 * import { articleHtml } from "./article_html.ts";
 * const page = "<html><head><title>T</title></head><body><nav>Menu</nav><article><h1>T</h1>" +
 *   "<p>" + "A sentence of the article, long enough to count. ".repeat(20) + "</p></article></body></html>";
 * const found = articleHtml(new TextEncoder().encode(page), "text/html");
 * console.log(found?.html.includes("A sentence"), found?.html.includes("Menu")); // true false
 * ```
 */
export function articleHtml(bytes: Uint8Array, contentType?: string, url?: string): ArticleHtml | undefined {
  const text = decodePage(bytes, contentType);
  if (text.trim() === "") return undefined;
  let parsed;
  try {
    const { document } = parseHTML(text) as unknown as { document: HtmlDocument };
    if (url) setBase(document, url);
    parsed = new Readability(document as ConstructorParameters<typeof Readability>[0]).parse();
  } catch {
    return undefined;
  }
  const html = parsed?.content ?? "";
  const length = parsed?.length ?? 0;
  if (!parsed || html.trim() === "" || length === 0) return undefined;
  return { title: parsed.title ?? "", byline: parsed.byline ?? "", html, length };
}

/**
 * Points the document's `<base>` at `url` (an existing one resolved against it): Readability makes links
 * absolute against the document's base, which would otherwise be the script's own location.
 */
function setBase(document: HtmlDocument, url: string): void {
  const existing = document.querySelector("base[href]");
  let href = url;
  try {
    if (existing) href = new URL(existing.getAttribute("href"), url).href;
  } catch {
    // an unusable <base>: the page's own URL
  }
  if (existing) {
    existing.setAttribute("href", href);
    return;
  }
  const base = document.createElement("base");
  base.setAttribute("href", href);
  (document.head ?? document.documentElement)?.prepend(base);
}

/**
 * How the worker pool names {@linkcode articleHtml}: `pool.run(ARTICLE_HTML_TASK, [bytes, contentType, url])`.
 *
 * @example
 * ```ts
 * import { ARTICLE_HTML_TASK } from "./article_html.ts";
 * ARTICLE_HTML_TASK.export; // "articleHtml"
 * ```
 */
export const ARTICLE_HTML_TASK: { readonly module: string; readonly export: "articleHtml" } = {
  module: import.meta.url,
  export: "articleHtml",
};
