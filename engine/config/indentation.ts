/**
 * Finds the line whose indentation broke a YAML file and says how far to indent it. The YAML parser
 * reports such a mistake where its grammar failed (often the line before, with "Nested mappings are not
 * allowed in compact mappings"); this reads the lines the way a person does: which block a line belongs
 * to, and at which column that block's keys or list items start.
 * @module
 */

/**
 * A line indented where no block of the document can continue, and the column it most likely meant.
 *
 * @example
 * ```ts
 * const m: Misindented = { line: 4, indent: 5, expected: 2, reason: "...", hint: "..." };
 * ```
 */
export interface Misindented {
  /** 1-based line number of the misindented line. */
  line: number;
  /** Spaces the line is indented by. */
  indent: number;
  /** Spaces it should be indented by. */
  expected: number;
  /** What is wrong, naming the line's key or list item. */
  reason: string;
  /** How to indent it. */
  hint: string;
}

interface Block {
  /** Column (spaces) where the block's keys or list items start. */
  col: number;
  kind: "map" | "list";
  /** The key that holds the block (`stages`), when it has one. */
  parent?: string;
  /** 1-based line of the block's first entry, as an example to line up with. */
  line: number;
  /** That entry's text, trimmed (`- use: feeds`, `use: feeds`). */
  text: string;
}

/**
 * The first misindented line of `text` between lines `from` and `to` (1-based, inclusive), or
 * `undefined` when every line there fits a block.
 *
 * @example
 * ```ts
 * import { findMisindented } from "./indentation.ts";
 * const text = "stages:\n  - use: feeds\n  - use: fetch\n     - use: parse\n";
 * console.log(findMisindented(text, 1, 4)?.expected); // 2
 * ```
 */
export function findMisindented(text: string, from: number, to: number): Misindented | undefined {
  const lines = text.split(/\r?\n/);
  const stack: Block[] = [];
  // The previous line ended with `key:` (or a bare `-`): the next line may open a deeper block.
  let opener: { col: number; key?: string } | undefined;
  // Inside a block scalar (`key: |`) or a flow collection spread over lines: lines are content, not structure.
  let skipDeeperThan: number | undefined;
  let openBrackets = 0;
  for (let n = 0; n < lines.length && n < to; n++) {
    const raw = lines[n];
    const body = raw.trimStart();
    const indent = raw.length - body.length;
    if (body === "" || body.startsWith("#")) continue;
    if (openBrackets > 0) {
      openBrackets += bracketBalance(body);
      continue;
    }
    if (skipDeeperThan !== undefined && indent > skipDeeperThan) continue;
    skipDeeperThan = undefined;
    if (/^(---|\.\.\.)(\s|$)/.test(body) || raw.startsWith("\t")) {
      opener = undefined;
      continue;
    }
    const isItem = body === "-" || body.startsWith("- ");
    const key = keyOf(isItem ? body.slice(1).trimStart() : body);
    let fits = true;
    if (opener && (indent > opener.col || (isItem && indent === opener.col && opener.key !== undefined))) {
      while (stack.length && stack[stack.length - 1].col >= indent) stack.pop();
      stack.push({ col: indent, kind: isItem ? "list" : "map", parent: opener.key, line: n + 1, text: body });
    } else {
      const same = stack.findIndex((b) => b.col === indent);
      fits = same >= 0 && (stack[same].kind === "list") === isItem;
      if (!fits && n + 1 >= from) return misindented(stack, n + 1, indent, body, isItem, key);
      if (same >= 0) stack.length = same + 1;
    }
    opener = undefined;
    // `- key: value` opens a mapping at the column after `- `.
    if (isItem && key !== undefined) {
      const col = indent + body.length - body.slice(1).trimStart().length;
      stack.push({ col, kind: "map", line: n + 1, text: body.slice(col - indent) });
    }
    const value = key !== undefined ? afterKey(isItem ? body.slice(1).trimStart() : body) : undefined;
    const keyCol = isItem ? stack[stack.length - 1].col : indent;
    if (body === "-") opener = { col: indent };
    else if (value === "") opener = { col: keyCol, key };
    else if (value !== undefined && /^[|>][-+0-9]*$/.test(value)) skipDeeperThan = keyCol;
    else if (value !== undefined) openBrackets = Math.max(0, bracketBalance(value));
  }
  return undefined;
}

function misindented(
  stack: Block[],
  line: number,
  indent: number,
  body: string,
  isItem: boolean,
  key: string | undefined,
): Misindented | undefined {
  const kind = isItem ? "list" : "map";
  let best: Block | undefined;
  for (const b of stack) {
    if (b.kind !== kind) continue;
    if (!best || Math.abs(b.col - indent) <= Math.abs(best.col - indent)) best = b;
  }
  if (!best) return undefined;
  const what = isItem ? `the list item \`${shorten(body)}\`` : `\`${key ?? shorten(body)}:\``;
  const siblings = isItem
    ? `the items of ${best.parent ? `\`${best.parent}:\`` : "this list"} start at ${best.col}`
    : `the keys beside it start at ${best.col} (\`${shorten(best.text)}\` on line ${best.line})`;
  const reason = `wrong indentation: ${what} is indented ${indent} space${indent === 1 ? "" : "s"}, ` +
    `but ${siblings}`;
  const like = isItem ? `, like \`${shorten(best.text)}\` on line ${best.line}` : "";
  let hint = `indent it by ${best.col} space${best.col === 1 ? "" : "s"}${like}`;
  if (!isItem && indent > best.col) {
    hint += "; to nest it under a key instead, that key needs its own line ending in `:` above it";
  }
  return { line, indent, expected: best.col, reason, hint };
}

/** The key of a `key: value` or `key:` line; undefined for a scalar list item or a flow collection. */
function keyOf(body: string): string | undefined {
  const m = /^("[^"]*"|'[^']*'|[^\s#'"{[\]][^:#]*?)\s*:(\s|$)/.exec(body);
  return m ? m[1].replace(/^["']|["']$/g, "") : undefined;
}

/** What follows `key:` on its line, comments removed ("" when the value is on the following lines). */
function afterKey(body: string): string {
  const rest = body.slice(body.search(/:(\s|$)/) + 1).trim();
  return rest.startsWith("#") ? "" : rest.replace(/\s+#.*$/, "");
}

/** Opening minus closing brackets outside quotes: > 0 while a flow collection continues. */
function bracketBalance(text: string): number {
  const unquoted = text.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, "");
  let n = 0;
  for (const c of unquoted) {
    if (c === "[" || c === "{") n++;
    else if (c === "]" || c === "}") n--;
  }
  return n;
}

function shorten(text: string): string {
  return text.length > 40 ? text.slice(0, 37) + "..." : text;
}
