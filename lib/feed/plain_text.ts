/**
 * Titles and author names as one line of plain text: a title becomes an email subject, where line breaks
 * and markup have no place.
 * @module
 */
import { decodeEntities } from "./entities.ts";

/**
 * `text` on one line: runs of whitespace (newlines, tabs) collapsed to a space, ends trimmed; undefined
 * when nothing is left.
 *
 * @example
 * ```ts
 * import { singleLine } from "./plain_text.ts";
 * singleLine("  Hello\n   world "); // "Hello world"
 * ```
 */
export function singleLine(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const line = text.replace(/\s+/g, " ").trim();
  return line === "" ? undefined : line;
}

/**
 * Plain text from an HTML fragment (for titles written as HTML): tags dropped, references decoded,
 * whitespace collapsed.
 *
 * @example
 * ```ts
 * import { htmlToText } from "./plain_text.ts";
 * htmlToText("A &amp;amp; <b>B</b>"); // "A &amp; B"
 * ```
 */
export function htmlToText(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, "")).replace(/\s+/g, " ").trim();
}
