/**
 * One streaming pass over an entry's HTML: htmlparser2's tokenizer events are turned into elements with
 * the Parser's rules (`html_tree_rules.ts`), sanitised (`sanitize.ts`), offered to an editor and written
 * back as HTML, with no tree in between. Driving the tokenizer directly (not through `Parser`) saves an
 * attribute object and a lower-cased copy per tag. Pure, synchronous and without top-level side effects,
 * so worker-pool tasks can use it.
 *
 * The output is HTML in one canonical form, which `rewriteImageRefs` relies on: lower-case names, every
 * attribute value in double quotes with `&`, `"`, `<`, `>` escaped (an attribute without a value is
 * written `=""`), text with `&`, `<`, `>` escaped, void elements without an end tag, every other element
 * closed (unclosed ones at the end), no comments, doctypes or processing instructions. The content of
 * raw-text elements (`style`, `xmp`, `textarea`) is written as it came, so only there can `<img` be text.
 * @module
 */
// npm: specifiers keep the module importable by URL from a config-less Deno script (ARCHITECTURE.md).
// deno-lint-ignore no-import-prefix
import { Tokenizer, type TokenizerCallbacks } from "npm:htmlparser2@^10.1.0";
import { escapeAttribute, escapeText } from "./html_escape.ts";
import { isUnsafeAttribute, REMOVED_ELEMENTS } from "./sanitize.ts";
import {
  FOREIGN_CONTEXT_ELEMENTS,
  HTML_INTEGRATION_ELEMENTS,
  OPEN_IMPLIES_CLOSE,
  PARSER_VOID_ELEMENTS,
} from "./html_tree_rules.ts";

/**
 * The attributes of the start tag being written: the first of each name, in source order, names in lower
 * case, values with entities decoded.
 *
 * @example
 * ```ts
 * const preferDataSrc = (attributes: TagAttributes) => {
 *   const lazy = attributes.get("data-src");
 *   if (lazy) attributes.set("src", lazy);
 *   attributes.delete("data-src");
 * };
 * ```
 */
export interface TagAttributes {
  get(name: string): string | undefined;
  /** Replaces the value in place, or adds the attribute at the end. */
  set(name: string, value: string): void;
  delete(name: string): void;
}

/**
 * Sees each element that is kept, after its unsafe attributes are gone and before it is written: may
 * change its attributes, and returns false to drop the tag (a non-void element's content is kept).
 * `inside(name)` says whether an element of that name is open around it (a non-void element is open
 * itself by then).
 *
 * @example
 * ```ts
 * const absoluteLinks: ElementEditor = (name, attributes) => {
 *   const href = attributes.get("href");
 *   if (name === "a" && href) attributes.set("href", new URL(href, "https://e.org/").href);
 *   return true;
 * };
 * ```
 */
export type ElementEditor = (
  name: string,
  attributes: TagAttributes,
  inside: (name: string) => boolean,
) => boolean;

/**
 * What a pass does besides sanitising and writing.
 *
 * @example
 * ```ts
 * const options: HtmlPassOptions = { onBaseHref: (href) => console.log("base", href) };
 * ```
 */
export interface HtmlPassOptions {
  /** Called for each element kept (see `ElementEditor`). */
  edit?: ElementEditor;
  /** Called with the `href` of every `<base>` tag, in document order, although the tag is dropped. */
  onBaseHref?: (href: string) => void;
}

/**
 * Sanitises `html` in one pass and writes it in canonical form (see the module doc), calling the options'
 * hooks on the way. A whole document (`<html>...`) gives its body's content; `html`, `head` and `body`
 * tags are never written.
 *
 * @example
 * ```ts
 * import { rewriteHtml } from "./html_pass.ts";
 * rewriteHtml('<P onclick="x()">a &amp; b<script>x()</script><BR>'); // "<p>a &amp; b<br></p>"
 * ```
 */
export function rewriteHtml(html: string, options: HtmlPassOptions = {}): string {
  const pass = new HtmlPass(html, options);
  const tokenizer = new Tokenizer({ decodeEntities: true }, pass);
  tokenizer.write(html);
  tokenizer.end();
  return pass.out;
}

/** What an element name means to the pass, as bit flags (one map lookup per tag). */
const VOID = 1; // no content, no end tag
const REMOVE = 2; // dropped with its content
const UNWRAP = 4; // tag dropped, content kept
const FOREIGN = 8; // SVG/MathML: there a browser parses `<style>` content as markup
const RAW = 16; // raw text (the tokenizer decodes no entities in it)
const BASE = 32;
const IMPLIES_CLOSE = 64; // closes some open elements first
const FOREIGN_CONTEXT = 128; // pushes or pops the parser's foreign-context flag

const KINDS = new Map<string, number>();
const addKind = (names: Iterable<string>, kind: number) => {
  for (const name of names) KINDS.set(name, (KINDS.get(name) ?? 0) | kind);
};
addKind(PARSER_VOID_ELEMENTS, VOID);
addKind(REMOVED_ELEMENTS, REMOVE);
// The body's content is what a mail shows; the tags around it are the mail client's.
addKind(["html", "body"], UNWRAP);
addKind(FOREIGN_CONTEXT_ELEMENTS, FOREIGN | FOREIGN_CONTEXT);
addKind(HTML_INTEGRATION_ELEMENTS, FOREIGN_CONTEXT);
addKind(["style", "xmp", "textarea"], RAW);
addKind(["base"], BASE);
addKind(OPEN_IMPLIES_CLOSE.keys(), IMPLIES_CLOSE);

/** What became of an open element, kept beside its name and kind. */
const PENDING = 0; // name seen, start tag not yet complete
const WRITTEN = 1; // start tag written: the end tag follows its content
const UNWRAPPED = 2; // tag dropped, content kept
const REMOVED = 3; // dropped with its content
const HIDDEN = 4; // inside a removed element

/**
 * How far down the stack of open elements an end tag (or an editor's `inside`) looks for its element.
 * Real HTML nests far less (Chrome's parser stops nesting at 512); the bound keeps hostile HTML linear.
 */
const SEARCH_DEPTH = 512;
const WHOLE_DOCUMENT = /^\s*(?:<!doctype[^>]*>\s*)?<html[\s>]/i;
const BLANK = /^[ \t\n\f\r]*$/;

/** The attributes of one start tag, in two parallel arrays reused from tag to tag. */
class AttributeList implements TagAttributes {
  readonly names: string[] = [];
  readonly values: string[] = [];

  get(name: string): string | undefined {
    const i = this.names.indexOf(name);
    return i < 0 ? undefined : this.values[i];
  }

  set(name: string, value: string): void {
    const i = this.names.indexOf(name);
    if (i >= 0) this.values[i] = value;
    else this.add(name, value);
  }

  delete(name: string): void {
    const i = this.names.indexOf(name);
    if (i < 0) return;
    this.names.splice(i, 1);
    this.values.splice(i, 1);
  }

  /** Adds an attribute unless one of that name came first (browsers keep the first). */
  add(name: string, value: string): void {
    if (this.names.includes(name)) return;
    this.names.push(name);
    this.values.push(value);
  }

  clear(): void {
    this.names.length = 0;
    this.values.length = 0;
  }
}

/** The tokenizer's callbacks: builds elements as htmlparser2's Parser would and writes them to `out`. */
class HtmlPass implements TokenizerCallbacks {
  out = "";
  /** Open non-void elements, outermost first, with what each became and its kind flags. */
  private readonly names: string[] = [];
  private readonly states: number[] = [];
  private readonly kinds: number[] = [];
  /** The Parser's foreign-context flags (self-closing tags count where the last is true). */
  private readonly foreignContext: boolean[] = [false];
  /** Open removed elements (their content is dropped while any is open). */
  private removed = 0;
  /** Open `svg`/`math` elements that were written. */
  private foreign = 0;
  private readonly wholeDocument: boolean;

  /** The start tag being read. */
  private tagName = "";
  private tagKind = 0;
  private readonly attributes = new AttributeList();
  private attributeName = "";
  /** The attribute name had characters that would read differently when written back: it goes. */
  private attributeUnsafe = false;
  private attributeValue = "";

  constructor(private readonly html: string, private readonly options: HtmlPassOptions) {
    this.wholeDocument = WHOLE_DOCUMENT.test(html);
  }

  // Start tags

  onopentagname(start: number, endIndex: number): void {
    const name = this.html.slice(start, endIndex);
    const form = nameForm(name);
    this.openTag(form === UPPER ? name.toLowerCase() : name, form === UNSAFE);
  }

  onattribname(start: number, endIndex: number): void {
    const name = this.html.slice(start, endIndex);
    const form = nameForm(name);
    this.attributeName = form === UPPER ? name.toLowerCase() : name;
    this.attributeUnsafe = form === UNSAFE;
    this.attributeValue = "";
  }

  onattribdata(start: number, endIndex: number): void {
    this.attributeValue += this.html.slice(start, endIndex);
  }

  onattribentity(codepoint: number): void {
    this.attributeValue += String.fromCodePoint(codepoint);
  }

  onattribend(): void {
    if (!this.attributeUnsafe) this.attributes.add(this.attributeName, this.attributeValue);
    this.attributeValue = "";
  }

  onopentagend(): void {
    this.endOpenTag();
  }

  onselfclosingtag(): void {
    // In HTML `<div/>` opens a div; only in foreign content does the slash close the element.
    if (this.foreignContext[this.foreignContext.length - 1]) this.closeCurrentTag();
    else this.endOpenTag();
  }

  // End tags, text, the end

  onclosetag(start: number, endIndex: number): void {
    // Most end tags close the current element, spelled as its start tag was: no copy of the name needed.
    const depth = this.names.length;
    if (depth > 0) {
      const current = this.names[depth - 1];
      if (endIndex - start === current.length && this.html.startsWith(current, start)) {
        if (this.kinds[depth - 1] & FOREIGN_CONTEXT) this.foreignContext.pop();
        this.closeElement();
        return;
      }
    }
    const raw = this.html.slice(start, endIndex);
    const name = nameForm(raw) === UPPER ? raw.toLowerCase() : raw;
    const kind = KINDS.get(name) ?? 0;
    if (kind & FOREIGN_CONTEXT) this.foreignContext.pop();
    if (!(kind & VOID)) {
      const at = this.openIndex(name);
      if (at >= 0) {
        while (this.names.length > at) this.closeElement();
      } else if (name === "p") {
        this.openTag("p", false); // a stray </p> is an empty paragraph
        this.closeCurrentTag();
      }
    } else if (name === "br") {
      this.openTag("br", false); // a stray </br> is a line break
      this.endOpenTag();
    }
  }

  ontext(start: number, endIndex: number): void {
    if (this.removed > 0) return;
    const text = this.html.slice(start, endIndex);
    const depth = this.kinds.length;
    if (depth > 0 && this.kinds[depth - 1] & RAW) {
      this.out += this.foreign > 0 ? escapeText(text) : rawText(this.names[depth - 1], text);
    } else if (
      this.wholeDocument && (depth === 0 || this.names[depth - 1] === "html") && BLANK.test(text)
    ) {
      // The line breaks between a document's html, head and body tags are no body content.
    } else {
      this.out += escapeText(text);
    }
  }

  ontextentity(codepoint: number): void {
    if (this.removed > 0) return;
    this.out += codepoint === 38
      ? "&amp;"
      : codepoint === 60
      ? "&lt;"
      : codepoint === 62
      ? "&gt;"
      : String.fromCodePoint(codepoint);
  }

  onend(): void {
    while (this.names.length > 0) this.closeElement();
  }

  // Comments, CDATA (a comment in HTML), doctypes and processing instructions are dropped.
  oncomment(): void {}
  oncdata(): void {}
  ondeclaration(): void {}
  onprocessinginstruction(): void {}

  // Building elements

  /** A start tag's name was read: close what it implies, push it, start collecting attributes. */
  private openTag(name: string, unsafeName: boolean): void {
    const kind = KINDS.get(name) ?? 0;
    if (kind & IMPLIES_CLOSE) {
      const closes = OPEN_IMPLIES_CLOSE.get(name)!;
      while (this.names.length > 0 && closes.has(this.names[this.names.length - 1])) this.closeElement();
    }
    if (!(kind & VOID)) {
      let state = PENDING;
      if (this.removed > 0) state = HIDDEN;
      else if (kind & REMOVE) state = REMOVED;
      else if (kind & UNWRAP || unsafeName) state = UNWRAPPED;
      if (state === REMOVED) this.removed++;
      this.names.push(name);
      this.states.push(state);
      this.kinds.push(kind);
      if (kind & FOREIGN_CONTEXT) this.foreignContext.push((kind & FOREIGN) !== 0);
    }
    this.tagName = name;
    this.tagKind = kind;
    this.attributes.clear();
  }

  /** The start tag is complete: sanitise, edit and write it (when it is kept). */
  private endOpenTag(): void {
    const name = this.tagName;
    const kind = this.tagKind;
    const attributes = this.attributes;
    if (kind & BASE) {
      const href = attributes.get("href");
      if (href !== undefined) this.options.onBaseHref?.(href);
    }
    const isVoid = (kind & VOID) !== 0;
    const top = this.states.length - 1;
    if (isVoid) {
      if (this.removed > 0 || kind & REMOVE) return;
    } else if (this.states[top] !== PENDING) return;
    const names = attributes.names;
    const values = attributes.values;
    for (let i = names.length - 1; i >= 0; i--) {
      if (isUnsafeAttribute(names[i], values[i])) attributes.delete(names[i]);
    }
    const kept = this.options.edit ? this.options.edit(name, attributes, this.inside) : true;
    if (!isVoid) this.states[top] = kept ? WRITTEN : UNWRAPPED;
    if (!kept) return;
    let tag = "<" + name;
    for (let i = 0; i < names.length; i++) tag += " " + names[i] + '="' + escapeAttribute(values[i]) + '"';
    this.out += tag + ">";
    if (kind & FOREIGN && !isVoid) this.foreign++;
  }

  /**
   * Where the innermost open element called `name` is on the stack, looking no deeper than
   * `SEARCH_DEPTH` (-1 when not found): HTML that opens thousands of elements and then closes names that
   * are not open would otherwise cost a scan of the whole stack per end tag.
   */
  private openIndex(name: string): number {
    const names = this.names;
    const stop = Math.max(0, names.length - SEARCH_DEPTH);
    for (let i = names.length - 1; i >= stop; i--) if (names[i] === name) return i;
    return -1;
  }

  /** Whether an element called `name` is open (within `SEARCH_DEPTH`), for editors. */
  private readonly inside = (name: string): boolean => this.openIndex(name) >= 0;

  /** A self-closing tag in foreign content: complete it, then close it. */
  private closeCurrentTag(): void {
    const name = this.tagName;
    this.endOpenTag();
    if (this.names[this.names.length - 1] === name) this.closeElement();
  }

  /** Closes the innermost open element. */
  private closeElement(): void {
    const name = this.names.pop()!;
    const kind = this.kinds.pop()!;
    const state = this.states.pop();
    if (state === WRITTEN) {
      this.out += "</" + name + ">";
      if (kind & FOREIGN) this.foreign--;
    } else if (state === REMOVED) {
      this.removed--;
    }
  }
}

const LOWER = 0;
const UPPER = 1;
const UNSAFE = 2;

/**
 * Whether a tag or attribute name is lower case already, has upper-case letters, or has characters that
 * would read differently when written back (quotes, `<`, `=`, backtick): such tags and attributes go.
 */
function nameForm(name: string): number {
  let form = LOWER;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) form = UPPER;
    else if (c === 34 || c === 39 || c === 60 || c === 61 || c === 96) return UNSAFE;
  }
  return form;
}

/**
 * The content of a raw-text element as it came from the tokenizer (entities not decoded), made unable to
 * end its element early: htmlparser2 ends `<style>` only at `</style` plus `>` or a space, a browser also
 * at `</style/`. In `textarea` entities are decoded, so `<` can be `&lt;`; in CSS `<\/` is the same text.
 */
function rawText(element: string, text: string): string {
  if (!text.includes("</")) return text;
  if (element === "textarea") return text.replaceAll("<", "&lt;");
  return text.replace(element === "style" ? /<\/(?=style)/gi : /<\/(?=xmp)/gi, "<\\/");
}
