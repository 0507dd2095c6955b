/**
 * The few tree-building rules htmlparser2's `Parser` applies on top of its tokenizer, as data, so
 * `html_pass.ts` can drive the tokenizer directly and still close elements exactly where the Parser
 * would: void elements, start tags that close an open element (`<p>` closes an open `<p>`), and where
 * self-closing tags count (inside SVG/MathML). Taken from htmlparser2 10.1 (`src/Parser.ts`, MIT licence,
 * Felix Böhm), the dependency it complements; tests/html_images_pass_test.ts compares the two on
 * generated tag soup.
 * @module
 */

const formTags = ["input", "option", "optgroup", "select", "button", "datalist", "textarea"];
const pTag = ["p"];

/**
 * For a start tag, the open elements it closes first (while one of them is the current element).
 *
 * @example
 * ```ts
 * import { OPEN_IMPLIES_CLOSE } from "./html_tree_rules.ts";
 * OPEN_IMPLIES_CLOSE.get("li")?.has("li"); // true: <li> closes the open <li>
 * ```
 */
export const OPEN_IMPLIES_CLOSE: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  ([
    ["tr", ["tr", "th", "td"]],
    ["th", ["th"]],
    ["td", ["thead", "th", "td"]],
    ["body", ["head", "link", "script"]],
    ["li", ["li"]],
    ["p", pTag],
    ["h1", pTag],
    ["h2", pTag],
    ["h3", pTag],
    ["h4", pTag],
    ["h5", pTag],
    ["h6", pTag],
    ["select", formTags],
    ["input", formTags],
    ["output", formTags],
    ["button", formTags],
    ["datalist", formTags],
    ["textarea", formTags],
    ["option", ["option"]],
    ["optgroup", ["optgroup", "option"]],
    ["dd", ["dd", "dt"]],
    ["dt", ["dd", "dt"]],
    ["address", pTag],
    ["article", pTag],
    ["aside", pTag],
    ["blockquote", pTag],
    ["details", pTag],
    ["div", pTag],
    ["dl", pTag],
    ["fieldset", pTag],
    ["figcaption", pTag],
    ["figure", pTag],
    ["footer", pTag],
    ["form", pTag],
    ["header", pTag],
    ["hr", pTag],
    ["main", pTag],
    ["nav", pTag],
    ["ol", pTag],
    ["pre", pTag],
    ["section", pTag],
    ["table", pTag],
    ["ul", pTag],
    ["rt", ["rt", "rp"]],
    ["rp", ["rt", "rp"]],
    ["tbody", ["thead", "tbody"]],
    ["tfoot", ["thead", "tbody"]],
  ] as const).map(([tag, closes]) => [tag, new Set<string>(closes)]),
);

/**
 * Elements without content or end tag for htmlparser2 (its list: a few legacy names more than the
 * HTML standard's).
 *
 * @example
 * ```ts
 * import { PARSER_VOID_ELEMENTS } from "./html_tree_rules.ts";
 * PARSER_VOID_ELEMENTS.has("img"); // true
 * ```
 */
export const PARSER_VOID_ELEMENTS: ReadonlySet<string> = new Set([
  "area",
  "base",
  "basefont",
  "br",
  "col",
  "command",
  "embed",
  "frame",
  "hr",
  "img",
  "input",
  "isindex",
  "keygen",
  "link",
  "meta",
  "param",
  "source",
  "track",
  "wbr",
]);

/**
 * Elements that open foreign content (self-closing tags such as `<path/>` close there).
 *
 * @example
 * ```ts
 * import { FOREIGN_CONTEXT_ELEMENTS } from "./html_tree_rules.ts";
 * FOREIGN_CONTEXT_ELEMENTS.has("svg"); // true
 * ```
 */
export const FOREIGN_CONTEXT_ELEMENTS: ReadonlySet<string> = new Set(["math", "svg"]);

/**
 * Elements inside foreign content whose children are HTML again.
 *
 * @example
 * ```ts
 * import { HTML_INTEGRATION_ELEMENTS } from "./html_tree_rules.ts";
 * HTML_INTEGRATION_ELEMENTS.has("foreignobject"); // true
 * ```
 */
export const HTML_INTEGRATION_ELEMENTS: ReadonlySet<string> = new Set([
  "mi",
  "mo",
  "mn",
  "ms",
  "mtext",
  "annotation-xml",
  "foreignobject",
  "desc",
  "title",
]);
