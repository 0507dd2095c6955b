/**
 * A small HTML tree builder for reading text out of HTML (`mime_text.ts`): plain objects instead of a full
 * DOM. linkedom makes every node an EventTarget with a WeakMap entry, which made `htmlToText` a third of a
 * message's composing time under Deno (W3 profile of the mime worker) and its garbage a large part of the
 * worker's heap. It follows the HTML parser where it matters for text: void elements, raw-text elements,
 * comments, character references, and the implied end tags of `p`, `li`, `dt`/`dd` and table rows/cells.
 * @module
 */
import { decodeEntities } from "../feed/entities.ts";
import { VOID_ELEMENTS } from "../feed/xml_query.ts";

/**
 * A node of the tree: an element (`nodeType` 1, upper-case `nodeName`) or text (`nodeType` 3).
 *
 * @example
 * ```ts
 * const text: LightNode = { nodeType: 3, nodeName: "#text", textContent: "hi", childNodes: [] };
 * ```
 */
export interface LightNode {
  nodeType: 1 | 3;
  nodeName: string;
  readonly textContent: string | null;
  childNodes: LightNode[];
  getAttribute?(name: string): string | null;
}

/** Elements whose content is text up to their end tag (never markup). */
const RAW_TEXT = new Set(["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"]);
/** Start tags that end an open `<p>` (the HTML parser's rule). */
const CLOSES_P = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "details",
  "div",
  "dl",
  "fieldset",
  "figcaption",
  "figure",
  "footer",
  "form",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hr",
  "main",
  "nav",
  "ol",
  "p",
  "pre",
  "section",
  "table",
  "ul",
]);
/** Start tags that end an open element of the listed names, up to (not past) a scope element. */
const CLOSES: Record<string, { names: string[]; scope: string[] }> = {
  li: { names: ["li"], scope: ["ul", "ol"] },
  dt: { names: ["dt", "dd"], scope: ["dl"] },
  dd: { names: ["dt", "dd"], scope: ["dl"] },
  tr: { names: ["tr", "td", "th"], scope: ["table", "thead", "tbody", "tfoot"] },
  td: { names: ["td", "th"], scope: ["tr", "table"] },
  th: { names: ["td", "th"], scope: ["tr", "table"] },
};

class TextNode implements LightNode {
  readonly nodeType = 3 as const;
  readonly nodeName = "#text";
  readonly childNodes: LightNode[] = [];
  constructor(readonly textContent: string) {}
}

class ElementNode implements LightNode {
  readonly nodeType = 1 as const;
  readonly nodeName: string;
  readonly childNodes: LightNode[] = [];
  constructor(readonly name: string, private readonly attributes: Map<string, string>) {
    this.nodeName = name.toUpperCase();
  }
  get textContent(): string {
    let out = "";
    for (const child of this.childNodes) out += child.textContent ?? "";
    return out;
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name.toLowerCase()) ?? null;
  }
}

const TAG = /<(\/?)([a-zA-Z][^\s/>]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/y;
const ATTRIBUTE = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;

/**
 * Parses an HTML fragment into a `body` element holding its nodes.
 *
 * @example
 * ```ts
 * import { parseLightHtml } from "./light_dom.ts";
 * const body = parseLightHtml("<p>a<br>b</p>");
 * body.childNodes[0].nodeName; // "P"
 * ```
 */
export function parseLightHtml(html: string): LightNode {
  const body = new ElementNode("body", new Map());
  const stack: ElementNode[] = [body];
  const top = () => stack[stack.length - 1];
  const text = (raw: string) => {
    if (raw) top().childNodes.push(new TextNode(decodeEntities(raw)));
  };
  const close = (name: string, scope: string[] = []) => {
    for (let i = stack.length - 1; i > 0; i--) {
      if (stack[i].name === name) {
        stack.length = i;
        return;
      }
      if (scope.includes(stack[i].name)) return;
    }
  };
  let at = 0;
  while (at < html.length) {
    const lt = html.indexOf("<", at);
    if (lt < 0) {
      text(html.slice(at));
      break;
    }
    text(html.slice(at, lt));
    if (html.startsWith("<!--", lt)) {
      const end = html.indexOf("-->", lt + 4);
      at = end < 0 ? html.length : end + 3;
      continue;
    }
    if (html[lt + 1] === "!" || html[lt + 1] === "?") {
      const end = html.indexOf(">", lt);
      at = end < 0 ? html.length : end + 1;
      continue;
    }
    TAG.lastIndex = lt;
    const m = TAG.exec(html);
    if (!m) {
      text("<");
      at = lt + 1;
      continue;
    }
    at = TAG.lastIndex;
    const name = m[2].toLowerCase();
    if (m[1]) {
      close(name);
      continue;
    }
    if (CLOSES_P.has(name)) close("p", ["button"]);
    const implied = CLOSES[name];
    if (implied) { for (const n of implied.names) close(n, implied.scope); }
    const attributes = new Map<string, string>();
    for (const a of m[3].matchAll(ATTRIBUTE)) {
      const key = a[1].toLowerCase();
      if (!attributes.has(key)) attributes.set(key, decodeEntities(a[2] ?? a[3] ?? a[4] ?? ""));
    }
    const element = new ElementNode(name, attributes);
    top().childNodes.push(element);
    // As in the HTML parser, `<div/>` opens a div: only void elements have no content.
    if (VOID_ELEMENTS.has(name)) continue;
    if (RAW_TEXT.has(name)) {
      const end = html.slice(at).search(new RegExp(`</${name}[\\s/>]`, "i"));
      const content = end < 0 ? html.slice(at) : html.slice(at, at + end);
      if (content) {
        element.childNodes.push(
          new TextNode(name === "textarea" || name === "title" ? decodeEntities(content) : content),
        );
      }
      at = end < 0 ? html.length : html.indexOf(">", at + end) + 1;
      continue;
    }
    stack.push(element);
  }
  return body;
}
