/**
 * Removes what must not travel from a feed into a mailbox: scripts, frames, plugins, event handler
 * attributes and `javascript:` URLs. Mail clients block most of it anyway; sluice does not rely on that.
 * @module
 */
import type { HtmlDocument, HtmlElement } from "./parse_html.ts";

/** Elements removed with their content. `base` is read by findImages first, then it must go. */
const REMOVED_ELEMENTS = [
  "script",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "base",
  "meta",
  "link",
];
/** Attributes holding a URL a click or a load would follow. */
const URL_ATTRIBUTES = new Set([
  "href",
  "src",
  "action",
  "formaction",
  "xlink:href",
  "poster",
  "background",
  "cite",
  "data",
  "srcset",
  "data-src",
  "data-srcset",
  "data-lazy-src",
  "data-original",
]);

/**
 * Sanitises `tree` in place: drops script, iframe, frame(set), object, embed, applet, base, meta and link
 * elements, every `on*` attribute, and URL attributes whose value is a `javascript:`, `vbscript:` or
 * `data:text/html` URL (ignoring the whitespace and control characters browsers ignore there).
 *
 * @example
 * ```ts
 * import { parseHtmlDocument } from "./parse_html.ts";
 * import { sanitizeTree } from "./sanitize.ts";
 * const document = parseHtmlDocument('<p onclick="x()">hi</p><script>x()</script>');
 * sanitizeTree(document);
 * document.body.innerHTML; // "<p>hi</p>"
 * ```
 */
export function sanitizeTree(tree: HtmlDocument | HtmlElement): void {
  for (const el of [...tree.querySelectorAll(REMOVED_ELEMENTS.join(","))]) el.remove();
  for (const el of [...tree.querySelectorAll("*")]) {
    for (const { name, value } of [...el.attributes]) {
      const lower = name.toLowerCase();
      if (lower.startsWith("on") || (URL_ATTRIBUTES.has(lower) && isScriptUrl(value))) {
        el.removeAttribute(name);
      }
    }
  }
}

/**
 * Whether `value` is a URL that runs code when followed (`javascript:`, `vbscript:`, `data:text/html`).
 * In a `srcset`, any candidate counts.
 *
 * @example
 * ```ts
 * import { isScriptUrl } from "./sanitize.ts";
 * isScriptUrl(" java\tscript:alert(1)"); // true
 * isScriptUrl("https://example.org/"); // false
 * ```
 */
export function isScriptUrl(value: string): boolean {
  // Browsers strip ASCII whitespace and control characters inside the scheme ("java\tscript:").
  // deno-lint-ignore no-control-regex
  const compact = value.replace(/[\u0000-\u0020]+/g, "").toLowerCase();
  return /(^|,)(javascript|vbscript):/.test(compact) || /(^|,)data:text\/html/.test(compact);
}
