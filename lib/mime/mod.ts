/**
 * The MIME writer: composes a feed entry into a deterministic RFC 5322 message (`composeMessage`:
 * `multipart/alternative` with a plain-text rendering and the HTML, inline images as `cid:` parts), with
 * the header, quoted-printable and base64 encoders it is built from.
 *
 * @example
 * ```ts
 * import { composeMessage } from "./mod.ts";
 *
 * const msg = await composeMessage({
 *   feed: { url: "https://example.org/feed.xml", folder: "News" },
 *   entry: { id: "urn:1", title: "Hello", html: "<p>Hi</p>", enclosures: [] },
 *   images: [],
 * });
 * console.log(msg.messageId, msg.raw.length);
 * ```
 * @module
 */
export type {
  Attachment,
  CoveredEntry,
  Delivery,
  EntryItem,
  EntryVersion,
  InlineImage,
  MailMessage,
} from "./types.ts";
export {
  COMPOSE_DEFAULTS,
  composeMessage,
  type ComposeOptions,
  CONTENT_HASH_HEADER,
  headerSafe,
  messageIdFor,
  threadRootIdFor,
  updateMessageIdFor,
} from "./compose.ts";
export { htmlToText } from "./text.ts";
export { folderDigest } from "./digest.ts";
export { type ArticleTools, withArticle } from "./entry_article.ts";
export { encodeUnstructured, headerField, headerWithParams } from "./header_encoding.ts";
export { encodeQuotedPrintable } from "./quoted_printable.ts";
