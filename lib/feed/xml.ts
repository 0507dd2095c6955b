/**
 * A small, fast XML reader for feeds: it builds an element tree with namespace URIs resolved, and is
 * strict where strictness protects entries (unclosed or mismatched tags, a truncated document, a broken
 * attribute all throw {@link XmlSyntaxError} with line and column) and lenient where feeds are commonly
 * sloppy but the meaning is clear (a lone `&`, HTML entity names, a `<` followed by a space in text).
 * It does not read DTDs nor expand custom entities.
 * @module
 */
import { decodeEntities } from "./entities.ts";

/** A text node is a plain string (entities decoded, CDATA unwrapped). */
export type XmlNode = XmlElement | string;

/** One element of the tree. */
export interface XmlElement {
  /** Qualified name as written, e.g. `content:encoded`. */
  name: string;
  /** Name without its prefix, e.g. `encoded`. */
  local: string;
  /** Namespace URI the prefix (or the default namespace) is bound to; "" when none. */
  ns: string;
  /** Attributes by qualified name as written (`xml:base`, `rdf:about`), values decoded. */
  attrs: Record<string, string>;
  children: XmlNode[];
}

/** The document: its root element and the DOCTYPE name if there was one (`html` for an XHTML page). */
export interface XmlDocument {
  root: XmlElement;
  doctype?: string;
}

/**
 * The text is not well-formed XML where it matters. `line` and `column` are 1-based.
 *
 * @example
 * ```ts
 * import { parseXml, XmlSyntaxError } from "./xml.ts";
 * try { parseXml("<rss><channel>"); } catch (e) { if (e instanceof XmlSyntaxError) console.log(e.line); }
 * ```
 */
export class XmlSyntaxError extends Error {
  /**
   * @param reason what is wrong
   * @param line 1-based line of the offending character
   * @param column 1-based column of the offending character
   */
  constructor(readonly reason: string, readonly line: number, readonly column: number) {
    super(`line ${line} column ${column}: ${reason}`);
    this.name = "XmlSyntaxError";
  }
}

const NAME = /[A-Za-z_:\u00c0-\uffff][-\w.:\u00b7-\uffff]*/y;
const ATTRIBUTE = /([^\s=/>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;
const SPACE = /\s*/y;
const XML_NS = "http://www.w3.org/XML/1998/namespace";
/** Real feeds nest a few dozen levels; a limit keeps the recursive readers of the tree off the stack's end. */
const MAX_DEPTH = 512;

/**
 * Namespace scopes are prototype chains: a lookup walks outward, a new scope costs one object. The root
 * scope is never written to (not frozen: a frozen prototype would forbid redeclaring its keys below).
 */
type Scope = Record<string, string>;
const ROOT_SCOPE: Scope = Object.assign(Object.create(null), { xml: XML_NS, "": "" });

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function fail(text: string, offset: number, reason: string): never {
  const { line, column } = position(text, offset);
  throw new XmlSyntaxError(reason, line, column);
}

interface Open {
  element: XmlElement;
  scope: Scope;
  /** Where the start tag begins, to say where an unclosed element was opened. */
  offset: number;
}

/**
 * Parses a whole document into a tree. Whitespace-only text is kept (XHTML content needs it).
 *
 * @param text the decoded document
 * @returns the root element and DOCTYPE name
 * @throws {XmlSyntaxError} for a truncated document, mismatched or unclosed tags, broken attributes
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * const { root } = parseXml('<rss version="2.0"><channel><title>T</title></channel></rss>');
 * root.attrs.version; // "2.0"
 * ```
 */
export function parseXml(text: string): XmlDocument {
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  let doctype: string | undefined;
  let pos = 0;
  const length = text.length;

  const addText = (value: string) => {
    const top = stack[stack.length - 1];
    if (top) top.element.children.push(value);
    else if (value.trim() !== "" && root === undefined) fail(text, pos, "text before the root element");
  };

  while (pos < length) {
    const lt = text.indexOf("<", pos);
    if (lt < 0) {
      addText(decodeEntities(text.slice(pos)));
      break;
    }
    if (lt > pos) addText(decodeEntities(text.slice(pos, lt)));
    pos = lt;
    const next = text.charCodeAt(lt + 1);
    if (next === 33 /* ! */) {
      if (text.startsWith("<!--", lt)) {
        const end = text.indexOf("-->", lt + 4);
        if (end < 0) fail(text, lt, "comment is not closed (document truncated?)");
        pos = end + 3;
      } else if (text.startsWith("<![CDATA[", lt)) {
        const end = text.indexOf("]]>", lt + 9);
        if (end < 0) fail(text, lt, "CDATA section is not closed (document truncated?)");
        if (stack.length === 0) fail(text, lt, "CDATA outside the root element");
        addText(text.slice(lt + 9, end));
        pos = end + 3;
      } else if (/^<!DOCTYPE/i.test(text.slice(lt, lt + 9))) {
        pos = skipDoctype(text, lt);
        doctype = /^<!DOCTYPE\s+([^\s>[]+)/i.exec(text.slice(lt, pos))?.[1];
      } else {
        fail(text, lt, "unexpected '<!'");
      }
    } else if (next === 63 /* ? */) {
      const end = text.indexOf("?>", lt + 2);
      if (end < 0) fail(text, lt, "processing instruction is not closed (document truncated?)");
      pos = end + 2;
    } else if (next === 47 /* / */) {
      NAME.lastIndex = lt + 2;
      const name = NAME.exec(text)?.[0];
      if (name === undefined) fail(text, lt, "malformed closing tag");
      const gt = text.indexOf(">", NAME.lastIndex);
      if (gt < 0) fail(text, lt, `closing tag </${name}> is cut off (document truncated?)`);
      if (text.slice(NAME.lastIndex, gt).trim() !== "") {
        fail(text, NAME.lastIndex, `malformed closing tag </${name}>`);
      }
      const open = stack.pop();
      if (open === undefined) fail(text, lt, `closing tag </${name}> without an opening tag`);
      if (open.element.name !== name) {
        const at = position(text, open.offset);
        fail(
          text,
          lt,
          `closing tag </${name}> does not match <${open.element.name}> opened at line ${at.line} column ${at.column}`,
        );
      }
      pos = gt + 1;
    } else {
      NAME.lastIndex = lt + 1;
      const match = NAME.exec(text);
      if (match === null) {
        // "a < b" in text: not a tag, keep the character.
        addText("<");
        pos = lt + 1;
        continue;
      }
      if (root !== undefined && stack.length === 0) fail(text, lt, `second root element <${match[0]}>`);
      const tag = readStartTag(text, lt, match[0], NAME.lastIndex, stack);
      root ??= tag.element;
      pos = tag.end;
    }
  }
  if (stack.length > 0) {
    const open = stack[stack.length - 1];
    const at = position(text, open.offset);
    fail(
      text,
      length,
      `unexpected end of document: <${open.element.name}> opened at line ${at.line} column ${at.column} is not closed (document truncated?)`,
    );
  }
  if (root === undefined) fail(text, length, "no root element");
  return { root, doctype };
}

/** Reads `<name attr="v" ...>` or `<name .../>`, pushing an open element; returns it and where it ends. */
function readStartTag(
  text: string,
  lt: number,
  name: string,
  from: number,
  stack: Open[],
): { element: XmlElement; end: number } {
  const attrs: Record<string, string> = {};
  let declarations: [string, string][] | undefined;
  let pos = from;
  for (;;) {
    SPACE.lastIndex = pos;
    SPACE.exec(text);
    const hadSpace = SPACE.lastIndex > pos;
    pos = SPACE.lastIndex;
    const c = text.charCodeAt(pos);
    if (c === 62 /* > */ || (c === 47 /* / */ && text.charCodeAt(pos + 1) === 62)) break;
    if (Number.isNaN(c)) fail(text, lt, `start tag <${name}> is cut off (document truncated?)`);
    ATTRIBUTE.lastIndex = pos;
    const m = hadSpace ? ATTRIBUTE.exec(text) : null;
    if (m === null) fail(text, pos, `malformed attribute in <${name}>`);
    const value = decodeEntities(m[2] ?? m[3]);
    const attrName = m[1];
    if (attrName === "xmlns") (declarations ??= []).push(["", value]);
    else if (attrName.startsWith("xmlns:")) (declarations ??= []).push([attrName.slice(6), value]);
    else attrs[attrName] = value;
    pos = ATTRIBUTE.lastIndex;
  }
  const parentScope = stack.length > 0 ? stack[stack.length - 1].scope : ROOT_SCOPE;
  let scope = parentScope;
  if (declarations !== undefined) {
    scope = Object.create(parentScope);
    for (const [prefix, uri] of declarations) scope[prefix] = uri;
  }
  const colon = name.indexOf(":");
  const element: XmlElement = {
    name,
    local: colon < 0 ? name : name.slice(colon + 1),
    ns: (colon < 0 ? scope[""] : scope[name.slice(0, colon)]) ?? "",
    attrs,
    children: [],
  };
  if (stack.length > 0) stack[stack.length - 1].element.children.push(element);
  if (text.charCodeAt(pos) === 47) return { element, end: pos + 2 };
  if (stack.length >= MAX_DEPTH) fail(text, lt, `elements nested deeper than ${MAX_DEPTH} levels`);
  stack.push({ element, scope, offset: lt });
  return { element, end: pos + 1 };
}

function skipDoctype(text: string, lt: number): number {
  let depth = 0;
  for (let i = lt + 9; i < text.length; i++) {
    const c = text[i];
    if (c === "[") depth++;
    else if (c === "]") depth--;
    else if (c === ">" && depth <= 0) return i + 1;
  }
  fail(text, lt, "DOCTYPE is not closed (document truncated?)");
}
