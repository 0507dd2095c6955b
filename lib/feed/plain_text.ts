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
  // C0 controls other than white space have no place in a subject (and stray ones come from broken feeds).
  const line = !NOT_ONE_LINE.test(text)
    ? text.trim()
    // deno-lint-ignore no-control-regex
    : text.replace(/[\x00-\x08\x0e-\x1f\x7f]/g, "").replace(/\s+/g, " ").trim();
  return line === "" ? undefined : line;
}

/**
 * What either replacement above would change: a control character, white space other than a space, two
 * spaces. Text without any (most titles, names and categories) is scanned once instead of twice.
 */
// deno-lint-ignore no-control-regex
const NOT_ONE_LINE = /[\x00-\x08\x0e-\x1f\x7f]|[^\S ]| {2}/;

/** A tag, with `>` allowed inside quoted attribute values (`<a title="a > b">`), or a comment. */
const TAG = /<!--[\s\S]*?-->|<\/?[A-Za-z!?](?:[^>"']|"[^"]*"|'[^']*')*>/g;
/** Inline elements: their tags join the text around them; every other tag separates words. */
const INLINE =
  /^<\/?(?:a|abbr|b|bdi|bdo|cite|code|data|dfn|em|font|i|kbd|mark|q|s|samp|small|span|strong|sub|sup|time|u|var)[\s/>]/i;

/**
 * Plain text on one line from an HTML fragment (titles written as HTML, a subject made from a summary):
 * tags dropped (a block tag or `<br>` becomes a space), references decoded, whitespace collapsed.
 *
 * @example
 * ```ts
 * import { htmlToLine } from "./plain_text.ts";
 * htmlToLine('A &amp;amp; <b title="x > y">B</b><br>C'); // "A &amp; B C"
 * ```
 */
export function htmlToLine(html: string): string {
  const text = html.indexOf("<") < 0 ? html : html.replace(TAG, (tag) => INLINE.test(tag) ? "" : " ");
  return decodeEntities(text).replace(/\s+/g, " ").trim();
}
