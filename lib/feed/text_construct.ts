/**
 * Atom text and content constructs (RFC 4287 sections 3.1 and 4.1.3, Atom 0.3 section 3.1) as HTML or
 * plain text: `type="text|html|xhtml"` (1.0); a MIME type plus `mode="xml|escaped|base64"` (0.3); an XML
 * media type as inline markup; any other media type as base64 (RFC 4287 4.1.3.3), shown when it is text,
 * HTML or an image (as a `data:` URL). Also `xhtml:body` in RSS items. `xml:base` inside XHTML content
 * resolves the links of the elements it is on and below.
 * @module
 */
import { escapeAttribute } from "../html/html_escape.ts";
import { htmlToLine, singleLine } from "./plain_text.ts";
import type { XmlElement, XmlNode } from "./xml.ts";
import { attrOf, markupOf, serializeHtml, textOf } from "./xml_query.ts";

type ConstructKind = "text" | "html" | "xhtml" | "base64" | "other";

/** What a construct holds, from Atom 1.0 `type` or Atom 0.3 MIME `type` plus `mode`. */
function constructKind(element: XmlElement): ConstructKind {
  const type = (attrOf(element, "type") ?? "text").toLowerCase();
  const mode = attrOf(element, "mode")?.toLowerCase();
  if (mode === "base64") return "base64";
  if (type === "xhtml" || type === "application/xhtml+xml") return mode === "escaped" ? "html" : "xhtml";
  if (type === "html" || type === "text/html") return "html";
  if (type === "text" || type.startsWith("text/")) return mode === "escaped" ? "html" : "text";
  if (type.endsWith("/xml") || type.endsWith("+xml")) return "other";
  return type.includes("/") ? "base64" : "other";
}

/**
 * A construct as HTML; undefined for out-of-line (`src`) content, content it cannot show, or none.
 *
 * @param element the construct (`content`, `summary`, `title`, `xhtml:body`)
 * @param base the base URL in scope of the construct, for `xml:base` inside XHTML content
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * import { constructHtml } from "./text_construct.ts";
 * constructHtml(parseXml('<content type="text">a &lt; b</content>').root); // "a &lt; b"
 * constructHtml(parseXml('<content type="text/html" mode="base64">PGI+aGk8L2I+</content>').root); // "<b>hi</b>"
 * ```
 */
export function constructHtml(element: XmlElement | undefined, base?: string): string | undefined {
  if (element === undefined || attrOf(element, "src") !== undefined) return undefined;
  switch (constructKind(element)) {
    case "html":
      return markupOf(element);
    case "xhtml": {
      const html = serializeHtml(xhtmlContent(element), base).trim();
      return html === "" ? undefined : html;
    }
    case "text": {
      const text = textOf(element);
      return text === undefined ? undefined : escapeAttribute(text);
    }
    case "base64":
      return base64Html(element);
    default:
      return undefined;
  }
}

/** The nodes inside the wrapping XHTML `<div>` Atom requires, or all children when a feed omits it. */
function xhtmlContent(element: XmlElement): XmlNode[] {
  const elements = element.children.filter((c) => typeof c !== "string");
  const onlyText = element.children.every((c) => typeof c !== "string" || c.trim() === "");
  const div = elements[0];
  return elements.length === 1 && onlyText && div.local === "div" ? div.children : element.children;
}

/**
 * A construct as plain text on one line (titles).
 *
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * import { constructText } from "./text_construct.ts";
 * constructText(parseXml('<title type="html">A &amp;amp; &lt;b&gt;B&lt;/b&gt;</title>').root); // "A & B"
 * ```
 */
export function constructText(element: XmlElement | undefined): string | undefined {
  if (element === undefined) return undefined;
  const kind = constructKind(element);
  if (kind === "text" || kind === "other") return singleLine(textOf(element));
  const html = constructHtml(element);
  const text = html === undefined ? undefined : htmlToLine(html);
  return text === "" ? undefined : text;
}

/** Base64 content by its media type: HTML as is, text escaped, an image as a `data:` URL. */
function base64Html(element: XmlElement): string | undefined {
  const data = textOf(element)?.replace(/\s+/g, "");
  if (data === undefined) return undefined;
  const type = (attrOf(element, "type") ?? "text/plain").toLowerCase();
  if (type.startsWith("image/")) {
    return /^[A-Za-z0-9+/]+=*$/.test(data)
      ? `<img src="data:${escapeAttribute(type)};base64,${data}">`
      : undefined;
  }
  let text: string;
  try {
    text = new TextDecoder().decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
  if (type === "html" || type === "text/html" || type === "xhtml" || type === "application/xhtml+xml") {
    return text;
  }
  return type === "text" || type.startsWith("text/") ? escapeAttribute(text) : undefined;
}
