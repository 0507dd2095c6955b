/**
 * Character references as feeds write them. XML defines only five named entities, but feeds written by
 * hand or by HTML-minded tools also use HTML names (`&nbsp;`, `&eacute;`, `&hellip;`) and the
 * windows-1252 code points 128-159 (`&#147;` for a curly quote): browsers accept both, so readers do too.
 * Anything unknown stays literal (a lone `&` in "Tom & Jerry" is kept), and the caller may be told.
 * This is the one entity decoder of the tree: the HTML pass and the MIME writer use it too.
 * @module
 */

/** XML's five plus the HTML names that show up in real feeds (Latin-1 letters, typography, symbols). */
// deno-fmt-ignore
const NAMED: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'",
  nbsp: "\u00a0", iexcl: "¡", cent: "¢", pound: "£", curren: "¤", yen: "¥", brvbar: "¦", sect: "§",
  uml: "¨", copy: "©", ordf: "ª", laquo: "«", not: "¬", shy: "\u00ad", reg: "®", macr: "¯", deg: "°",
  plusmn: "±", sup2: "²", sup3: "³", acute: "´", micro: "µ", para: "¶", middot: "·", cedil: "¸",
  sup1: "¹", ordm: "º", raquo: "»", frac14: "¼", frac12: "½", frac34: "¾", iquest: "¿",
  Agrave: "À", Aacute: "Á", Acirc: "Â", Atilde: "Ã", Auml: "Ä", Aring: "Å", AElig: "Æ", Ccedil: "Ç",
  Egrave: "È", Eacute: "É", Ecirc: "Ê", Euml: "Ë", Igrave: "Ì", Iacute: "Í", Icirc: "Î", Iuml: "Ï",
  ETH: "Ð", Ntilde: "Ñ", Ograve: "Ò", Oacute: "Ó", Ocirc: "Ô", Otilde: "Õ", Ouml: "Ö", times: "×",
  Oslash: "Ø", Ugrave: "Ù", Uacute: "Ú", Ucirc: "Û", Uuml: "Ü", Yacute: "Ý", THORN: "Þ", szlig: "ß",
  agrave: "à", aacute: "á", acirc: "â", atilde: "ã", auml: "ä", aring: "å", aelig: "æ", ccedil: "ç",
  egrave: "è", eacute: "é", ecirc: "ê", euml: "ë", igrave: "ì", iacute: "í", icirc: "î", iuml: "ï",
  eth: "ð", ntilde: "ñ", ograve: "ò", oacute: "ó", ocirc: "ô", otilde: "õ", ouml: "ö", divide: "÷",
  oslash: "ø", ugrave: "ù", uacute: "ú", ucirc: "û", uuml: "ü", yacute: "ý", thorn: "þ", yuml: "ÿ",
  OElig: "Œ", oelig: "œ", Scaron: "Š", scaron: "š", Yuml: "Ÿ", fnof: "ƒ", circ: "ˆ", tilde: "˜",
  ensp: "\u2002", emsp: "\u2003", thinsp: "\u2009", zwnj: "\u200c", zwj: "\u200d", lrm: "\u200e",
  rlm: "\u200f", ndash: "–", mdash: "—", lsquo: "‘", rsquo: "’", sbquo: "‚", ldquo: "“", rdquo: "”",
  bdquo: "„", dagger: "†", Dagger: "‡", bull: "•", hellip: "…", permil: "‰", prime: "′", Prime: "″",
  lsaquo: "‹", rsaquo: "›", oline: "‾", frasl: "⁄", euro: "€", trade: "™", larr: "←", rarr: "→",
  uarr: "↑", darr: "↓", harr: "↔", minus: "−", le: "≤", ge: "≥", ne: "≠", infin: "∞", hearts: "♥",
};

/** What browsers show for `&#128;`..`&#159;`: the windows-1252 characters, not C1 controls. */
const WINDOWS_1252_C1 = "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ";

/**
 * Entities a document's DTD declares (`<!ENTITY name "text">`), already expanded, with the budget of
 * characters that references to them may still add (an expansion bound against "billion laughs").
 */
export interface DeclaredEntities {
  values: Map<string, string>;
  budget: number;
  /** Set once a reference was left as written because the budget could not pay for it. */
  exhausted?: boolean;
}

/**
 * Where {@link decodeEntities} reports an `&` that starts no reference it knows (a bare `&`, an undefined
 * name): the offset of the `&` in the text given, and the reason.
 */
export type ReferenceProblem = (offset: number, reason: string) => void;

/**
 * Replaces character references (`&amp;`, `&#233;`, `&#x263A;`, HTML names, names the document's DTD
 * declared) by their characters and keeps anything unrecognised as written. A scanner rather than a regex
 * with a callback per match: feeds of escaped HTML hold a reference every few characters.
 *
 * @param text raw XML text or attribute value
 * @param from where to start in `text` (default 0)
 * @param to where to stop in `text` (default its length)
 * @param declared entities the document declared, if any
 * @param problem told about each `&` left as written, with its offset in `text`
 * @returns the decoded text between `from` and `to`
 * @example
 * ```ts
 * import { decodeEntities } from "./entities.ts";
 * decodeEntities("Caf&eacute; &amp; Tom & Jerry"); // "Café & Tom & Jerry"
 * ```
 */
export function decodeEntities(
  text: string,
  from = 0,
  to: number = text.length,
  declared?: DeclaredEntities,
  problem?: ReferenceProblem,
): string {
  let amp = text.indexOf("&", from);
  if (amp < 0 || amp >= to) return from === 0 && to === text.length ? text : text.slice(from, to);
  let out = "";
  let last = from;
  while (amp >= 0 && amp < to) {
    let end = amp + 1;
    let replacement: string | undefined;
    const c = text.charCodeAt(end);
    if (c === 35 /* # */) {
      end++;
      let cp = 0;
      let digits = 0;
      if ((text.charCodeAt(end) | 32) === 120 /* x */) {
        for (end++; end < to && digits <= 6; end++, digits++) {
          const h = text.charCodeAt(end);
          const v = h >= 48 && h <= 57 ? h - 48 : (h | 32) >= 97 && (h | 32) <= 102 ? (h | 32) - 87 : -1;
          if (v < 0) break;
          cp = cp * 16 + v;
        }
      } else {
        for (; end < to && digits <= 7; end++, digits++) {
          const d = text.charCodeAt(end) - 48;
          if (d < 0 || d > 9) break;
          cp = cp * 10 + d;
        }
      }
      if (digits > 0 && text.charCodeAt(end) === 59 /* ; */ && end < to) replacement = codePointText(cp);
    } else {
      while (end < to && end - amp <= 32 && isNameChar(text.charCodeAt(end))) end++;
      if (end > amp + 1 && end < to && text.charCodeAt(end) === 59) {
        replacement = namedReference(text, amp + 1, end, declared);
      }
    }
    if (replacement !== undefined) {
      out += text.slice(last, amp) + replacement;
      last = end + 1;
      amp = text.indexOf("&", last);
    } else {
      if (problem !== undefined) {
        problem(amp, referenceProblem(text, amp, end, declared));
      }
      amp = text.indexOf("&", amp + 1);
    }
  }
  return last === from ? text.slice(from, to) : out + text.slice(last, to);
}

function referenceProblem(text: string, amp: number, end: number, declared?: DeclaredEntities): string {
  if (end === amp + 1 || text.charCodeAt(end) !== 59) return "a bare '&' (write &amp;)";
  const name = text.slice(amp + 1, end);
  if (name.startsWith("#")) return `character reference &${name}; names no character`;
  if (declared?.values.has(name)) return `entity &${name}; not expanded: expansion limit reached`;
  return `undefined entity &${name};`;
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 ||
    c === 46 || c > 127;
}

/** The text of `&name;` (name between `start` and `end`), the five XML names without a slice. */
function namedReference(
  text: string,
  start: number,
  end: number,
  declared: DeclaredEntities | undefined,
): string | undefined {
  const length = end - start;
  const c0 = text.charCodeAt(start);
  if (length === 2 && text.charCodeAt(start + 1) === 116 /* t */) {
    if (c0 === 108 /* l */) return "<";
    if (c0 === 103 /* g */) return ">";
  } else if (length === 4) {
    if (
      c0 === 113 && text.charCodeAt(start + 1) === 117 && text.charCodeAt(start + 2) === 111 &&
      text.charCodeAt(start + 3) === 116
    ) return '"';
    if (
      c0 === 97 && text.charCodeAt(start + 1) === 112 && text.charCodeAt(start + 2) === 111 &&
      text.charCodeAt(start + 3) === 115
    ) return "'";
  } else if (
    length === 3 && c0 === 97 && text.charCodeAt(start + 1) === 109 && text.charCodeAt(start + 2) === 112
  ) {
    return "&";
  }
  const name = text.slice(start, end);
  if (declared !== undefined) {
    const value = declared.values.get(name);
    if (value !== undefined) {
      if (value.length > declared.budget) {
        declared.exhausted = true;
        return undefined;
      }
      declared.budget -= value.length;
      return value;
    }
  }
  return Object.hasOwn(NAMED, name) ? NAMED[name] : undefined;
}

function codePointText(cp: number): string | undefined {
  if (cp >= 128 && cp <= 159) return WINDOWS_1252_C1[cp - 128];
  if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
  return String.fromCodePoint(cp);
}

/**
 * Escapes text for HTML element content or a double-quoted attribute value.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./entities.ts";
 * escapeHtml('a < b & "c"'); // "a &lt; b &amp; &quot;c&quot;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;",
  );
}
