/**
 * The plain-text alternative of a message: a readable rendering of entry HTML (paragraphs, list items,
 * quotes, link URLs kept), not a layout engine. One streaming pass of htmlparser2's `Parser` (the HTML
 * parser's implied end tags, raw-text elements and character references; the parser family of the HTML
 * pass): each open element collects its rendered content, and its end tag renders it into its parent's,
 * so no tree is built (a `parseDocument` tree cost 27% more CPU per composed message, `bench/mime_bench.ts`).
 * @module
 */
// npm: specifiers keep the module importable by URL from a config-less Deno script (ARCHITECTURE.md).
// deno-lint-ignore no-import-prefix
import { Parser } from "npm:htmlparser2@^10.1.0";

/** Elements that start a new paragraph. */
const BLOCKS = new Set([
  "address",
  "article",
  "aside",
  "dd",
  "details",
  "div",
  "dl",
  "dt",
  "figcaption",
  "figure",
  "footer",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "main",
  "nav",
  "ol",
  "p",
  "section",
  "summary",
  "table",
  "tr",
  "ul",
]);
/** Elements whose content is never text a reader wants. */
const SKIPPED = new Set(["script", "style", "template", "head", "title", "noscript", "svg"]);

/** Markers that survive whitespace collapsing and become line breaks at the end. */
const PARAGRAPH = "\u0000P\u0000";
const LINE = "\u0000L\u0000";

/** An open element: its name and attributes, what its content rendered to, and its text as written. */
interface Frame {
  name: string;
  attribs: Record<string, string>;
  out: string;
  raw: string;
}

/**
 * Renders HTML as plain text: one blank line between blocks, `- ` before list items, `> ` before
 * quoted lines, `[alt]` for images, and a link's URL in angle brackets after its text.
 *
 * @param html an HTML fragment
 * @returns text with `\n` line breaks and no trailing newline
 *
 * @example
 * ```ts
 * import { htmlToText } from "./text.ts";
 * await htmlToText('<p>Read <a href="https://example.org/">this</a></p><ul><li>one</li></ul>');
 * // "Read this <https://example.org/>\n\n- one"
 * ```
 */
export function htmlToText(html: string): Promise<string> {
  // Promise-returning as before (it used to load its parser lazily); the work itself is synchronous.
  if (!html.trim()) return Promise.resolve("");
  return Promise.resolve(finish(renderHtml(html)));
}

/** Whitespace that collapsing would change: a run of two, or any whitespace but a space. */
const UNCOLLAPSED = /[\t\n\v\f\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]| {2}/;

function renderHtml(html: string): string {
  const root: Frame = { name: "", attribs: {}, out: "", raw: "" };
  const stack: Frame[] = [root];
  const parser = new Parser({
    onopentag(name, attribs) {
      stack.push({ name, attribs, out: "", raw: "" });
    },
    ontext(text) {
      const top = stack[stack.length - 1];
      top.raw += text;
      // Testing first is cheaper than replacing: most text has nothing to collapse.
      top.out += UNCOLLAPSED.test(text) ? text.replace(/\s+/g, " ") : text;
    },
    onclosetag() {
      const element = stack.pop()!;
      const parent = stack[stack.length - 1];
      parent.out += render(element);
      parent.raw += element.raw;
    },
  });
  parser.end(html);
  return root.out;
}

/** What a closed element adds to its parent's rendering. */
function render(element: Frame): string {
  const { name, out: inner } = element;
  if (SKIPPED.has(name)) return "";
  if (name === "br") return LINE;
  if (name === "hr") return `${PARAGRAPH}----${PARAGRAPH}`;
  if (name === "img") {
    const alt = element.attribs.alt?.trim();
    return alt ? `[${alt}]` : "";
  }
  if (name === "pre") return PARAGRAPH + element.raw.replace(/\n/g, LINE) + PARAGRAPH;
  if (name === "a") return inner + linkSuffix(element.attribs.href, inner);
  if (name === "li") return `${LINE}- ${inner.trim()}`;
  if (name === "td" || name === "th") return ` ${inner} `;
  if (name === "blockquote") return PARAGRAPH + quote(finish(inner)) + PARAGRAPH;
  if (BLOCKS.has(name)) return PARAGRAPH + inner + PARAGRAPH;
  return inner;
}

function linkSuffix(hrefAttribute: string | undefined, text: string): string {
  const href = hrefAttribute?.trim();
  if (!href || !/^(https?:|mailto:)/i.test(href)) return "";
  const shown = text.trim();
  return shown === href || shown === href.replace(/^mailto:/i, "") ? "" : ` <${href}>`;
}

function quote(text: string): string {
  return text.split("\n").map((line) => (line ? `> ${line}` : ">")).join(LINE);
}

/**
 * Turns markers into line breaks, trims every line, and keeps at most one blank line in a row. The lines
 * are cut from the marked text where they are (a paragraph marker is two line breaks, a line marker one),
 * without the two copies replacing the markers would make: the same lines as replacing every paragraph
 * marker, then every line marker, then splitting at line breaks. Each kind of break is looked for once
 * from where the last one of its kind was, so the text is searched about three times, whatever its size.
 */
function finish(marked: string): string {
  const out: string[] = [];
  let at = 0;
  let paragraph = marked.indexOf(PARAGRAPH);
  let line = marked.indexOf(LINE);
  let lf = marked.indexOf("\n");
  for (;;) {
    if (paragraph !== -1 && paragraph < at) paragraph = marked.indexOf(PARAGRAPH, at);
    if (line !== -1 && line < at) line = marked.indexOf(LINE, at);
    if (lf !== -1 && lf < at) lf = marked.indexOf("\n", at);
    // A line marker that overlaps a paragraph marker is none: paragraph markers are replaced first.
    const lineBreak = line !== -1 && (paragraph === -1 || line + LINE.length <= paragraph || line > paragraph)
      ? line
      : -1;
    let next = paragraph;
    if (lineBreak !== -1 && (next === -1 || lineBreak < next)) next = lineBreak;
    if (lf !== -1 && (next === -1 || lf < next)) next = lf;
    if (next === -1) break;
    addLine(marked.slice(at, next), out);
    if (next === paragraph) {
      addLine("", out); // the blank line between a paragraph marker's two line breaks
      at = next + PARAGRAPH.length;
    } else {
      at = next + (next === lf ? 1 : LINE.length);
    }
  }
  addLine(marked.slice(at), out);
  while (out.length && out[out.length - 1] === "") out.pop();
  return out.join("\n");
}

function addLine(raw: string, out: string[]): void {
  // Collapsing after trimming gives the same line; most lines have no run of spaces to collapse.
  let line = raw.trim();
  if (line.includes("  ")) line = line.replace(/ {2,}/g, " ");
  if (line === "" && (out.length === 0 || out[out.length - 1] === "")) return;
  out.push(line);
}
