/**
 * Parses HTML with linkedom into the small DOM surface sluice's image code uses. linkedom types its
 * result with the browser's DOM types, which Deno's default libs lack, so the surface is declared here.
 * @module
 */
// npm: specifiers keep the module importable by URL from a config-less Deno script (ARCHITECTURE.md).
// deno-lint-ignore no-import-prefix
import { parseHTML } from "npm:linkedom@^0.18.15";

/** The element operations the image code uses. */
export interface HtmlElement {
  readonly tagName: string;
  readonly attributes: ArrayLike<{ name: string; value: string }> & Iterable<{ name: string; value: string }>;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  remove(): void;
  querySelector(selector: string): HtmlElement | null;
  querySelectorAll(selector: string): ArrayLike<HtmlElement> & Iterable<HtmlElement>;
  innerHTML: string;
}

/** The document operations the image code uses. */
export interface HtmlDocument {
  readonly body: HtmlElement;
  querySelector(selector: string): HtmlElement | null;
  querySelectorAll(selector: string): ArrayLike<HtmlElement> & Iterable<HtmlElement>;
}

/**
 * Parses `html`: a whole document as it is, a fragment (what feeds carry) inside a body of its own.
 * Read the result back with `document.body.innerHTML`.
 *
 * @example
 * ```ts
 * import { parseHtmlDocument } from "./parse_html.ts";
 * parseHtmlDocument("<p>hi</p>").body.innerHTML; // "<p>hi</p>"
 * ```
 */
export function parseHtmlDocument(html: string): HtmlDocument {
  const whole = /^\s*(<!doctype[^>]*>\s*)?<html[\s>]/i.test(html);
  const window = parseHTML(whole ? html : `<!DOCTYPE html><html><head></head><body>${html}</body></html>`);
  return (window as unknown as { document: HtmlDocument }).document;
}
