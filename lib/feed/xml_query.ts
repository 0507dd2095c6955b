/**
 * Reading feed fields out of an {@link XmlElement} tree: namespace-aware keys that survive the variants
 * feeds use (https or trailing-slash namespace URIs, odd letter case, a `dc:` prefix never declared),
 * text and markup of an element, attributes by local name, and `xml:base` resolution.
 * @module
 */
import { escapeAttribute, escapeText } from "../html/html_escape.ts";
import { PARSER_VOID_ELEMENTS } from "../html/html_tree_rules.ts";
import { resolveUrl } from "./urls.ts";
import type { XmlElement, XmlNode } from "./xml.ts";

/** Namespace URI (normalised) -> the prefix the mappers use; "" marks the core RSS vocabularies. */
const PREFIX_OF_NAMESPACE: Record<string, string> = {
  "purl.org/rss/1.0": "",
  "my.netscape.com/rdf/simple/0.9": "",
  "backend.userland.com/rss2": "",
  "purl.org/rss/1.0/modules/content": "content",
  "purl.org/dc/elements/1.1": "dc",
  "purl.org/dc/terms": "dcterms",
  "www.w3.org/2005/atom": "atom",
  "purl.org/atom/ns": "atom",
  "search.yahoo.com/mrss": "media",
  "www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
  "www.w3.org/1999/02/22-rdf-syntax-ns": "rdf",
  "www.w3.org/1999/xhtml": "xhtml",
};

function normaliseNamespace(uri: string): string {
  return uri.trim().toLowerCase().replace(/^https?:\/\//, "").replace(/[/#]+$/, "");
}

/** Prefix per namespace URI as written: a feed repeats a handful of URIs thousands of times. */
const prefixCache = new Map<string, string | undefined>();

function prefixOfNamespace(uri: string): string | undefined {
  if (prefixCache.has(uri)) return prefixCache.get(uri);
  const prefix = PREFIX_OF_NAMESPACE[normaliseNamespace(uri)];
  if (prefixCache.size < 1000) prefixCache.set(uri, prefix);
  return prefix;
}

/**
 * The key a mapper looks an element up by: the lower-cased local name for elements of `home` namespace
 * (the feed's own vocabulary) and the core RSS ones, else `prefix:local` with the conventional prefix of its
 * namespace (`dc:creator`, `content:encoded`, `atom:link`) whatever prefix the feed wrote.
 *
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * import { keyOf } from "./xml_query.ts";
 * const { root } = parseXml('<x:creator xmlns:x="http://purl.org/dc/elements/1.1/">A</x:creator>');
 * keyOf(root, ""); // "dc:creator"
 * ```
 */
export function keyOf(element: XmlElement, home: string): string {
  const local = element.local.toLowerCase();
  const undeclared = element.ns === "" && element.name !== element.local;
  if (element.ns === home && !undeclared) return local;
  let prefix = undeclared ? undefined : prefixOfNamespace(element.ns);
  if (prefix === undefined) {
    // Unknown or undeclared namespace: trust the prefix as written (`dc:date` with no xmlns:dc).
    const colon = element.name.indexOf(":");
    prefix = colon < 0 ? "" : element.name.slice(0, colon).toLowerCase();
  }
  return prefix === "" ? local : `${prefix}:${local}`;
}

/**
 * Groups the element children of `parent` by {@link keyOf}, in document order.
 *
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * import { childrenByKey } from "./xml_query.ts";
 * const { root } = parseXml("<item><title>A</title></item>");
 * childrenByKey(root, "").get("title")?.length; // 1
 * ```
 */
export function childrenByKey(parent: XmlElement, home: string): Map<string, XmlElement[]> {
  const byKey = new Map<string, XmlElement[]>();
  for (const child of parent.children) {
    if (typeof child === "string") continue;
    const key = keyOf(child, home);
    const list = byKey.get(key);
    if (list) list.push(child);
    else byKey.set(key, [child]);
  }
  return byKey;
}

/**
 * All text inside `element` (descendants included), or undefined when it is absent or blank.
 *
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * import { textOf } from "./xml_query.ts";
 * textOf(parseXml("<t> A &amp; <b>B</b> </t>").root); // "A & B"
 * ```
 */
export function textOf(element: XmlElement | undefined): string | undefined {
  if (element === undefined) return undefined;
  const only = soleText(element.children);
  const text = (only ?? allText(element.children)).trim();
  return text === "" ? undefined : text;
}

const NOT_BLANK = /\S/;

/**
 * The one text of `nodes` that is not blank when all of them are texts (`<x>\n<![CDATA[...]]>\n</x>`), so
 * that trimming it gives the element's text without first copying the content into a joined string.
 */
function soleText(nodes: XmlNode[]): string | undefined {
  if (nodes.length === 1) return typeof nodes[0] === "string" ? nodes[0] : undefined;
  let sole: string | undefined;
  for (const node of nodes) {
    if (typeof node !== "string") return undefined;
    if (!NOT_BLANK.test(node)) continue;
    if (sole !== undefined) return undefined;
    sole = node;
  }
  return sole;
}

function allText(nodes: XmlNode[]): string {
  let text = "";
  for (const node of nodes) text += typeof node === "string" ? node : allText(node.children);
  return text;
}

/**
 * The HTML an element carries: its text when it holds escaped or CDATA HTML (the usual case), or its
 * children serialised as HTML when a feed put raw markup inside (`<description><p>Hi</p></description>`).
 *
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * import { markupOf } from "./xml_query.ts";
 * markupOf(parseXml("<d>&lt;p&gt;Hi&lt;/p&gt;</d>").root); // "<p>Hi</p>"
 * ```
 */
export function markupOf(element: XmlElement | undefined): string | undefined {
  if (element === undefined) return undefined;
  if (element.children.every((c) => typeof c === "string")) return textOf(element);
  const html = serializeHtml(element.children).trim();
  return html === "" ? undefined : html;
}

/**
 * Serialises XML nodes as HTML: prefixes dropped (`xhtml:p` -> `p`), namespace and `xml:` attributes
 * dropped, text escaped, void elements without a closing tag and other empty elements with one (an HTML
 * reader takes `<div/>` as an open div). With `base`, an `xml:base` inside the nodes resolves the URL
 * attributes (`href`, `src`, ...) of its element and those below against the base it sets; URLs outside
 * any such `xml:base` stay as written (the entry's base applies to them later).
 *
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * import { serializeHtml } from "./xml_query.ts";
 * serializeHtml(parseXml('<div><h:p xmlns:h="http://www.w3.org/1999/xhtml">a<h:br/></h:p></div>').root.children);
 * // "<p>a<br></p>"
 * ```
 */
export function serializeHtml(nodes: XmlNode[], base?: string, rebased = false): string {
  let html = "";
  for (const node of nodes) {
    if (typeof node === "string") {
      html += escapeText(node);
      continue;
    }
    // An xml:base inside the content moves the base of this element and those below it.
    const own = node.attrs["xml:base"]?.trim();
    const nodeBase = own && base !== undefined ? resolveUrl(own, base) : base;
    const nodeRebased = rebased || (own !== undefined && own !== "" && base !== undefined);
    html += `<${node.local}`;
    for (const [name, value] of Object.entries(node.attrs)) {
      if (name.startsWith("xml:")) continue;
      const shown = nodeRebased && URL_ATTRIBUTES.has(name) ? resolveUrl(value, nodeBase!) : value;
      html += ` ${name}="${escapeAttribute(shown)}"`;
    }
    html += ">";
    if (PARSER_VOID_ELEMENTS.has(node.local.toLowerCase()) && node.children.length === 0) continue;
    html += `${serializeHtml(node.children, nodeBase, nodeRebased)}</${node.local}>`;
  }
  return html;
}

/** Attributes that hold a URL, resolved when an `xml:base` inside XHTML content moves the base. */
const URL_ATTRIBUTES: ReadonlySet<string> = new Set([
  "href",
  "src",
  "poster",
  "cite",
  "action",
  "background",
]);

/**
 * An attribute by local name whatever its prefix (`about` finds `rdf:about`), trimmed; undefined if absent
 * or blank.
 *
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * import { attrOf } from "./xml_query.ts";
 * attrOf(parseXml('<i r:about="u" xmlns:r="x"/>').root, "about"); // "u"
 * ```
 */
export function attrOf(element: XmlElement | undefined, local: string): string | undefined {
  if (element === undefined) return undefined;
  let value: string | undefined = element.attrs[local];
  if (value === undefined) {
    for (const name in element.attrs) {
      if (name.endsWith(`:${local}`) && !name.startsWith("xmlns:")) {
        value = element.attrs[name];
        break;
      }
    }
  }
  value = value?.trim();
  return value === "" ? undefined : value;
}

/**
 * The base URL in effect inside `element`: its `xml:base` resolved against the parent's base.
 *
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * import { baseOf } from "./xml_query.ts";
 * baseOf(parseXml('<feed xml:base="/blog/"/>').root, "https://ex.org/feed.xml"); // "https://ex.org/blog/"
 * ```
 */
export function baseOf(element: XmlElement | undefined, parentBase: string): string {
  const base = element?.attrs["xml:base"]?.trim();
  return base ? resolveUrl(base, parentBase) : parentBase;
}
