/**
 * What must not travel from a feed into a mailbox: scripts, frames, plugins, event handler attributes and
 * `javascript:` URLs. Mail clients block most of it anyway; sluice does not rely on that. The rules are
 * applied while the HTML streams through `html_pass.ts`.
 * @module
 */

/**
 * Elements dropped with their content. `base` is read by findImages first, then it must go; `head` is not
 * content either (a whole document gives its body).
 *
 * @example
 * ```ts
 * import { REMOVED_ELEMENTS } from "./sanitize.ts";
 * REMOVED_ELEMENTS.has("script"); // true
 * ```
 */
export const REMOVED_ELEMENTS: ReadonlySet<string> = new Set([
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
  "head",
]);

/** Attributes holding a URL a click or a load would follow. */
const URL_ATTRIBUTES: ReadonlySet<string> = new Set([
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
 * Whether the attribute `name` (lower case) with `value` (entities decoded) must be dropped: every `on*`
 * event handler, and URL attributes holding a script URL (see `isScriptUrl`).
 *
 * @example
 * ```ts
 * import { isUnsafeAttribute } from "./sanitize.ts";
 * isUnsafeAttribute("onclick", "x()"); // true
 * isUnsafeAttribute("href", "java\tscript:x()"); // true
 * isUnsafeAttribute("href", "https://example.org/"); // false
 * ```
 */
export function isUnsafeAttribute(name: string, value: string): boolean {
  return (name.charCodeAt(0) === 111 /* o */ && name.charCodeAt(1) === 110 /* n */) ||
    (URL_ATTRIBUTES.has(name) && isScriptUrl(value));
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
  // Every script URL has a scheme, so a value without a colon (a relative URL) is safe.
  if (!value.includes(":")) return false;
  // Browsers strip ASCII whitespace and control characters inside the scheme ("java\tscript:").
  // deno-lint-ignore no-control-regex
  const compact = value.replace(/[\u0000-\u0020]+/g, "").toLowerCase();
  return /(^|,)(javascript|vbscript):/.test(compact) || /(^|,)data:text\/html/.test(compact);
}
