/**
 * A small, fast XML reader for feeds: it builds an element tree with namespace URIs resolved. It recovers
 * rather than throws, as browsers and Python's feedparser do: an unclosed or mismatched tag, a broken
 * attribute, a cut-off document, a bare `&` or an undefined entity leave a tree of everything readable
 * around them, and the document says it was damaged ({@link XmlDocument.problem}: the first problem with
 * its line and column, and how many there were). Text before the root element (a stray doctype, a BOM, a
 * blank line before `<?xml`) and anything after it (a host's `<script>`) are ignored. Internal DTD entity
 * declarations are expanded within a budget (no "billion laughs"); external entities are never read.
 * With `{ strict: true }` the first problem throws {@link XmlSyntaxError} instead.
 * @module
 */
import { type DeclaredEntities, decodeEntities, type ReferenceProblem } from "./entities.ts";
import { type DoctypeReader, readDoctype } from "./xml_doctype.ts";

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
  /** True when the document ended inside this element: its content may be cut short. */
  truncated?: true;
}

/** The first problem of a damaged document, and how many there were. `line` and `column` are 1-based. */
export interface XmlProblem {
  line: number;
  column: number;
  reason: string;
  count: number;
}

/** The document: its root element, the DOCTYPE name if there was one, and the first problem if any. */
export interface XmlDocument {
  root: XmlElement;
  /** `html` for an XHTML page. */
  doctype?: string;
  /** Undefined for a well-formed document. */
  problem?: XmlProblem;
}

/** How {@link parseXml} reads. */
export interface ParseXmlOptions {
  /** Throw {@link XmlSyntaxError} at the first problem instead of recovering (default false). */
  strict?: boolean;
}

/**
 * The text is not well-formed XML where it matters. `line` and `column` are 1-based.
 *
 * @example
 * ```ts
 * import { parseXml, XmlSyntaxError } from "./xml.ts";
 * try { parseXml("<rss><channel>", { strict: true }); } catch (e) { if (e instanceof XmlSyntaxError) console.log(e.line); }
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

/**
 * Where the XML name starting at `from` ends (`from` itself when no name starts there): a letter, `_`,
 * `:` or a character from U+00C0 first, then also digits, `-`, `.` and characters from U+00B7. A loop
 * over char codes rather than a sticky regex: no match array for each of a feed's tens of thousands of tags.
 */
function xmlNameEnd(text: string, from: number): number {
  let c = text.charCodeAt(from);
  const lower = c | 32;
  if (!((lower >= 97 && lower <= 122) || c === 95 || c === 58 || c >= 0xc0)) return from;
  let i = from + 1;
  for (;; i++) {
    c = text.charCodeAt(i);
    const l = c | 32;
    if (
      (l >= 97 && l <= 122) || (c >= 48 && c <= 58) || c === 45 || c === 46 || c === 95 || c >= 0xb7
    ) continue;
    return i;
  }
}
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

function at(text: string, offset: number): string {
  const { line, column } = position(text, offset);
  return `line ${line} column ${column}`;
}

/*
 * The tree is built without object or array literals. V8 tracks every literal's allocation site, and a
 * site whose objects all survive a young-generation collection gets "pretenured": from then on its
 * objects are allocated in the old generation. A document's elements all live until the document is
 * read, so whether a scavenge fell inside a big document decided, per process, whether every later
 * element, children array and attribute record went to the old generation: that process then parsed
 * the corpus at half speed (2x user time, 3x the page faults, a mark-compact every pass) until a
 * collection happened to undo the decision (`--trace-pretenuring-statistics`: the element literal and
 * its nested `children: []` went "maybe tenure => tenure"; with `--no-allocation-site-pretenuring` no
 * process was slow). Class instances, `Object.create` and `Array.prototype.slice` have no allocation
 * site, so nothing of the tree can be pretenured.
 */

/** An element as {@link parseXml} builds it (a class: see above). */
class Element implements XmlElement {
  declare truncated?: true;
  constructor(
    public name: string,
    public local: string,
    public ns: string,
    public attrs: Record<string, string>,
    public children: XmlNode[],
  ) {}
}

/** An empty array of the elements kind children arrays end in: its `slice()` is a new children array. */
const NO_NODES: XmlNode[] = [""];
NO_NODES.pop();
/** The same for the stack of open elements (a literal there was pretenured too, and with it what it held). */
const NO_OPEN: Open[] = [];

/** Namespace declarations of a start tag, `[prefix, uri]` each. */
const NO_DECLARATIONS: string[][] = [];

/** An element on the stack of open elements. */
class Open {
  constructor(
    readonly element: XmlElement,
    readonly scope: Scope,
    /** Where the start tag begins, to say where an unclosed element was opened. */
    readonly offset: number,
  ) {}
}

/** One parse: the text, where it is, the open elements and what went wrong so far. */
class Reader implements DoctypeReader {
  readonly stack: Open[] = NO_OPEN.slice();
  root: XmlElement | undefined;
  doctype: string | undefined;
  problem: XmlProblem | undefined;
  declared: DeclaredEntities | undefined;
  /** Where the start tag {@link readStartTag} read last ends. */
  tagEnd = 0;
  readonly onReference: ReferenceProblem;

  constructor(readonly text: string, readonly strict: boolean) {
    this.onReference = (offset, reason) => this.report(offset, reason);
  }

  /** Records a problem (only the first one's position is computed), or throws it when strict. */
  report(offset: number, reason: string | (() => string)): void {
    if (this.problem !== undefined) {
      this.problem.count++;
      return;
    }
    const { line, column } = position(this.text, offset);
    const why = typeof reason === "string" ? reason : reason();
    if (this.strict) throw new XmlSyntaxError(why, line, column);
    this.problem = { line, column, reason: why, count: 1 };
  }

  /** Where the next `&` at or after the last decoded text is (text is decoded in document order). */
  private nextAmp = -1;

  /**
   * The text between `from` and `to` with references decoded. Looking for `&` once for the whole
   * document, not once per text node, keeps a document on one line (thousands of nodes) linear.
   */
  decode(from: number, to: number): string {
    if (this.nextAmp < from) {
      this.nextAmp = this.text.indexOf("&", from);
      if (this.nextAmp < 0) this.nextAmp = this.text.length;
    }
    if (this.nextAmp >= to) return this.text.slice(from, to);
    return decodeEntities(this.text, from, to, this.declared, this.onReference);
  }

  addText(from: number, to: number): void {
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined) top.element.children.push(this.decode(from, to));
  }

  /** Handles `</name>` at `lt`: closes the element, or the elements up to it, or ignores a stray tag. */
  close(name: string, lt: number): void {
    const stack = this.stack;
    const top = stack[stack.length - 1];
    if (top !== undefined && top.element.name === name) {
      stack.pop();
      return;
    }
    let i = stack.length - 2;
    while (i >= 0 && stack[i].element.name !== name) i--;
    if (top === undefined) {
      this.report(lt, `closing tag </${name}> without an opening tag`);
    } else {
      this.report(
        lt,
        () =>
          `closing tag </${name}> does not match <${top.element.name}> opened at ${
            at(this.text, top.offset)
          }`,
      );
    }
    if (i >= 0) stack.length = i;
  }
}

/**
 * Parses a whole document into a tree. Whitespace-only text is kept (XHTML content needs it).
 *
 * @param text the decoded document
 * @param options `strict` to throw at the first problem
 * @returns the root element, DOCTYPE name and the first problem, if any
 * @throws {XmlSyntaxError} when there is no root element at all, or at any problem when strict
 * @example
 * ```ts
 * import { parseXml } from "./xml.ts";
 * const { root, problem } = parseXml('<rss version="2.0"><channel><title>T</title></channel>');
 * root.attrs.version; // "2.0"
 * problem?.reason; // "unexpected end of document: <rss> opened at line 1 column 1 is not closed ..."
 * ```
 */
export function parseXml(text: string, options: ParseXmlOptions = {}): XmlDocument {
  const reader = new Reader(text, options.strict === true);
  const stack = reader.stack;
  let pos = 0;
  const length = text.length;

  while (pos < length) {
    const lt = text.indexOf("<", pos);
    if (lt < 0) {
      reader.addText(pos, length);
      pos = length;
      break;
    }
    if (lt > pos) reader.addText(pos, lt);
    pos = lt;
    const next = text.charCodeAt(lt + 1);
    if (next === 33 /* ! */) {
      if (text.startsWith("<!--", lt)) {
        const end = text.indexOf("-->", lt + 4);
        if (end < 0) {
          reader.report(lt, "comment is not closed (document truncated?)");
          pos = length;
          break;
        }
        pos = end + 3;
      } else if (text.startsWith("<![CDATA[", lt)) {
        let end = text.indexOf("]]>", lt + 9);
        if (end < 0) {
          reader.report(lt, "CDATA section is not closed (document truncated?)");
          end = length;
        }
        const top = stack[stack.length - 1];
        if (top !== undefined) top.element.children.push(text.slice(lt + 9, end));
        pos = end + 3;
      } else if (/^<!DOCTYPE/i.test(text.slice(lt, lt + 9))) {
        pos = readDoctype(reader, lt);
      } else {
        reader.report(lt, "unexpected '<!'");
        const top = stack[stack.length - 1];
        if (top !== undefined) top.element.children.push("<");
        pos = lt + 1;
      }
    } else if (next === 63 /* ? */) {
      const end = text.indexOf("?>", lt + 2);
      if (end < 0) {
        reader.report(lt, "processing instruction is not closed (document truncated?)");
        pos = length;
        break;
      }
      pos = end + 2;
    } else if (next === 47 /* / */) {
      // The common case first: `</name>` of the element open, matched without making a string.
      const open = stack[stack.length - 1];
      if (open !== undefined) {
        const end = lt + 2 + open.element.name.length;
        if (text.charCodeAt(end) === 62 /* > */ && text.startsWith(open.element.name, lt + 2)) {
          stack.pop();
          pos = end + 1;
          if (stack.length === 0) break;
          continue;
        }
      }
      const nameEnd = xmlNameEnd(text, lt + 2);
      const name = nameEnd > lt + 2 ? text.slice(lt + 2, nameEnd) : undefined;
      if (name === undefined) {
        reader.report(lt, "malformed closing tag");
        const top = stack[stack.length - 1];
        if (top !== undefined) top.element.children.push("<");
        pos = lt + 1;
        continue;
      }
      const gt = text.indexOf(">", nameEnd);
      if (gt < 0) {
        reader.report(lt, `closing tag </${name}> is cut off (document truncated?)`);
        pos = length;
        break;
      }
      if (gt > nameEnd && text.slice(nameEnd, gt).trim() !== "") {
        reader.report(nameEnd, `malformed closing tag </${name}>`);
      }
      reader.close(name, lt);
      pos = gt + 1;
      if (stack.length === 0 && reader.root !== undefined) break;
    } else {
      const nameEnd = xmlNameEnd(text, lt + 1);
      if (nameEnd === lt + 1) {
        // "a < b" in text: not a tag, keep the character.
        const top = stack[stack.length - 1];
        if (top !== undefined) top.element.children.push("<");
        pos = lt + 1;
        continue;
      }
      const element = readStartTag(reader, lt, text.slice(lt + 1, nameEnd), nameEnd);
      pos = reader.tagEnd;
      reader.root ??= element;
      if (stack.length === 0) break;
    }
  }
  // Whatever follows the root element (a host's <script>, a second document) is not part of the feed.
  if (stack.length > 0) {
    const open = stack[stack.length - 1];
    reader.report(
      length,
      () =>
        `unexpected end of document: <${open.element.name}> opened at ${
          at(text, open.offset)
        } is not closed (document truncated?)`,
    );
    for (const { element } of stack) element.truncated = true;
  }
  if (reader.root === undefined) {
    const { line, column } = position(text, length);
    throw new XmlSyntaxError("no root element", line, column);
  }
  return { root: reader.root, doctype: reader.doctype, problem: reader.problem };
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

/** Where an attribute name ends: at space, `=`, `/`, `>`, `<` or a quote. */
function nameEnd(text: string, from: number): number {
  let i = from;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c) || c === 61 || c === 47 || c === 62 || c === 60 || c === 34 || c === 39) break;
  }
  return i;
}

/**
 * Reads `<name attr="v" ...>` or `<name .../>` starting at `lt`, opening the element (pushed on the stack
 * unless empty or too deep); sets `reader.tagEnd` to where the tag ends. A tag broken by a `<` ends there
 * (`<item <title>`), an unquoted or valueless attribute is taken as HTML would take it.
 */
function readStartTag(reader: Reader, lt: number, name: string, from: number): XmlElement {
  const text = reader.text;
  const stack = reader.stack;
  const attrs: Record<string, string> = Object.create(Object.prototype);
  let declarations: string[][] | undefined;
  let pos = from;
  let selfClosing = false;
  for (;;) {
    const before = pos;
    while (isSpace(text.charCodeAt(pos))) pos++;
    const c = text.charCodeAt(pos);
    if (c === 62 /* > */) {
      pos++;
      break;
    }
    if (c === 47 /* / */ && text.charCodeAt(pos + 1) === 62) {
      selfClosing = true;
      pos += 2;
      break;
    }
    if (Number.isNaN(c)) {
      reader.report(lt, `start tag <${name}> is cut off (document truncated?)`);
      break;
    }
    if (c === 60 /* < */) {
      reader.report(pos, `start tag <${name}> is not closed`);
      break;
    }
    const attrEnd = nameEnd(text, pos);
    if (attrEnd === pos || pos === before) {
      reader.report(pos, `malformed attribute in <${name}>`);
      if (attrEnd === pos) {
        pos++;
        continue;
      }
    }
    const attrName = text.slice(pos, attrEnd);
    pos = attrEnd;
    while (isSpace(text.charCodeAt(pos))) pos++;
    let value = "";
    if (text.charCodeAt(pos) !== 61 /* = */) {
      reader.report(attrEnd, `attribute ${attrName} of <${name}> has no value`);
    } else {
      pos++;
      while (isSpace(text.charCodeAt(pos))) pos++;
      const quote = text.charCodeAt(pos);
      if (quote === 34 || quote === 39) {
        let close = text.indexOf(quote === 34 ? '"' : "'", pos + 1);
        if (close < 0) {
          reader.report(pos, `attribute ${attrName} of <${name}> is cut off (document truncated?)`);
          close = text.length;
        }
        value = reader.decode(pos + 1, close);
        pos = close + 1;
      } else {
        reader.report(pos, `attribute ${attrName} of <${name}> is not quoted`);
        const end = nameEnd(text, pos);
        value = reader.decode(pos, end);
        pos = end;
      }
    }
    // `Array.of`, not literals: no allocation site to pretenure (see Element).
    if (attrName === "xmlns") (declarations ??= NO_DECLARATIONS.slice()).push(Array.of("", value));
    else if (attrName.startsWith("xmlns:")) {
      (declarations ??= NO_DECLARATIONS.slice()).push(Array.of(attrName.slice(6), value));
    } else attrs[attrName] = value;
  }
  reader.tagEnd = Math.min(pos, text.length);
  const parentScope = stack.length > 0 ? stack[stack.length - 1].scope : ROOT_SCOPE;
  let scope = parentScope;
  if (declarations !== undefined) {
    scope = Object.create(parentScope);
    for (const [prefix, uri] of declarations) scope[prefix] = uri;
  }
  const colon = name.indexOf(":");
  const element = new Element(
    name,
    colon < 0 ? name : name.slice(colon + 1),
    (colon < 0 ? scope[""] : scope[name.slice(0, colon)]) ?? "",
    attrs,
    NO_NODES.slice(),
  );
  if (stack.length > 0) stack[stack.length - 1].element.children.push(element);
  if (selfClosing) return element;
  if (stack.length >= MAX_DEPTH) {
    reader.report(lt, `elements nested deeper than ${MAX_DEPTH} levels`);
    return element;
  }
  stack.push(new Open(element, scope, lt));
  return element;
}
