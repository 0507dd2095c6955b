/**
 * A DOM for user scripts that scrape or clean pages: linkedom parses an item's HTML field and a user
 * function `(document, item) => item` works on it; `article` is a ready-made one (Readability).
 *
 * @example
 * ```ts
 * import { article, callWithDocument } from "./mod.ts";
 * console.log(typeof article, typeof callWithDocument); // function function
 * ```
 * @module
 */
export {
  callWithDocument,
  type DocumentCall,
  type DocumentFunction,
  type HtmlDocument,
} from "./document_call.ts";
export { article, title } from "./article.ts";
export { ARTICLE_HTML_TASK, type ArticleHtml, articleHtml, decodePage } from "./article_html.ts";
