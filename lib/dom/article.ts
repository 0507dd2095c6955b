/**
 * Ready-made functions for the `html` stage: the main article of a page (Mozilla's Readability, the
 * reader view of Firefox, on linkedom's DOM), and the page title.
 * @module
 */
import { Readability } from "npm:@mozilla/readability@^0.6.0";
import type { HtmlDocument } from "./document_call.ts";

/**
 * The item with the page's main article: `title`, `byline`, `excerpt`, `text` (plain text) and `length`
 * (characters); the HTML field `field` is dropped. A page where Readability finds no article gets empty
 * fields rather than failing.
 *
 * @example
 * ```ts
 * import { parseHTML } from "npm:linkedom@^0.18.15";
 * import { article } from "./article.ts";
 * const { document } = parseHTML("<html><head><title>News</title></head><body><article><p>Text.</p></article></body></html>") as unknown as { document: unknown };
 * console.log((article(document, { url: "u", body: "..." }) as { title: string }).title); // "News"
 * ```
 */
export function article(document: HtmlDocument, item: unknown, field = "body"): unknown {
  const parsed = new Readability(document).parse();
  const rest = typeof item === "object" && item !== null ? { ...(item as Record<string, unknown>) } : {};
  delete rest[field];
  delete rest.html;
  return {
    ...rest,
    title: parsed?.title ?? document.title ?? "",
    byline: parsed?.byline ?? "",
    excerpt: parsed?.excerpt ?? "",
    text: (parsed?.textContent ?? "").replace(/\s+/g, " ").trim(),
    length: parsed?.length ?? 0,
  };
}

/**
 * The item with the page's `<title>` added as `title`.
 *
 * @example
 * ```ts
 * import { parseHTML } from "npm:linkedom@^0.18.15";
 * import { title } from "./article.ts";
 * const { document } = parseHTML("<html><head><title>T</title></head></html>") as unknown as { document: unknown };
 * console.log(title(document, {})); // { title: "T" }
 * ```
 */
export function title(document: HtmlDocument, item: unknown): unknown {
  return { ...(item as Record<string, unknown>), title: document.title };
}
