/**
 * The DOCTYPE of an XML document: its name, and the general entities its internal subset declares with a
 * literal value, expanded within a budget (no "billion laughs"). External entities are never read.
 * @module
 */
import { type DeclaredEntities, decodeEntities } from "./entities.ts";

/** Characters that expanding declared entities may add to a document, at the least (billion laughs). */
const MIN_ENTITY_BUDGET = 1_000_000;

/** What reading a DOCTYPE needs of the parse: the text, where problems go, where name and entities go. */
export interface DoctypeReader {
  /** The whole document. */
  readonly text: string;
  /** The DOCTYPE's name, once read. */
  doctype: string | undefined;
  /** The entities the internal subset declared, once read (none: undefined). */
  declared: DeclaredEntities | undefined;
  /** Records a problem at `offset` (or throws it, in a strict parse). */
  report(offset: number, reason: string): void;
}

/**
 * Reads `<!DOCTYPE name [ internal subset ]>` at `lt`: its name, and the general entities the internal
 * subset declares with a literal value, expanded now within the document's budget. Parameter entities and
 * external ones (`SYSTEM`, `PUBLIC`) are not read: a reference to one stays as written. Returns where the
 * DOCTYPE ends; the name and the entities go to `reader`.
 *
 * @example
 * ```ts
 * const text = '<!DOCTYPE rss [<!ENTITY me "Jo">]><rss/>';
 * const reader = { text, doctype: undefined, declared: undefined, report: () => {} } as DoctypeReader;
 * const end = readDoctype(reader, 0);
 * console.log(reader.doctype, reader.declared?.values.get("me"), text.slice(end)); // rss Jo <rss/>
 * ```
 */
export function readDoctype(reader: DoctypeReader, lt: number): number {
  const text = reader.text;
  let i = lt + 9;
  let subsetStart = -1;
  let subsetEnd = -1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 || c === 39) {
      const close = text.indexOf(c === 34 ? '"' : "'", i + 1);
      if (close < 0) break;
      i = close;
    } else if (c === 91 /* [ */ && subsetStart < 0) {
      subsetStart = i + 1;
      subsetEnd = internalSubsetEnd(text, subsetStart);
      if (subsetEnd < 0) break;
      i = subsetEnd;
    } else if (c === 62 /* > */) {
      break;
    }
  }
  if (i >= text.length) {
    reader.report(lt, "DOCTYPE is not closed (document truncated?)");
    return text.length;
  }
  reader.doctype = /^<!DOCTYPE\s+([^\s>[]+)/i.exec(text.slice(lt, Math.min(i + 1, lt + 200)))?.[1];
  if (subsetStart >= 0) declareEntities(reader, text.slice(subsetStart, subsetEnd), lt);
  return i + 1;
}

/** Where the internal subset that starts at `from` ends (its `]`), skipping quoted text and comments. */
function internalSubsetEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 || c === 39) {
      const close = text.indexOf(c === 34 ? '"' : "'", i + 1);
      if (close < 0) return -1;
      i = close;
    } else if (c === 60 && text.startsWith("<!--", i)) {
      const close = text.indexOf("-->", i + 4);
      if (close < 0) return -1;
      i = close + 2;
    } else if (c === 93 /* ] */) {
      return i;
    }
  }
  return -1;
}

const ENTITY_DECLARATION =
  /<!ENTITY\s+(%\s+)?([^\s"'>]+)\s+(?:"([^"]*)"|'([^']*)'|(SYSTEM|PUBLIC)\b[^>]*)\s*>/g;

function declareEntities(reader: DoctypeReader, subset: string, lt: number): void {
  const declared: DeclaredEntities = {
    values: new Map(),
    budget: Math.max(MIN_ENTITY_BUDGET, reader.text.length * 2),
  };
  for (const m of subset.matchAll(ENTITY_DECLARATION)) {
    const [, parameter, name, double, single] = m;
    const literal = double ?? single;
    // The first declaration of a name binds (XML 1.0 section 4.2); external entities are never fetched.
    if (parameter !== undefined || literal === undefined || declared.values.has(name)) continue;
    // References to entities declared before are expanded now, each use paid from the budget; an
    // entity the budget cannot pay for stays undeclared (its references are left as written).
    const value = decodeEntities(literal, 0, literal.length, declared);
    if (declared.exhausted) break;
    declared.values.set(name, value);
  }
  if (declared.exhausted) reader.report(lt, "entity expansion limit reached (references left as written)");
  if (declared.values.size > 0) reader.declared = declared;
}
