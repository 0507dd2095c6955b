/**
 * Decoding a feed's bytes. The character set comes from, in order (RFC 7303 section 3, what browsers do):
 *
 * 1. a byte order mark (UTF-8, UTF-16LE/BE, UTF-32LE/BE): the bytes cannot lie about it;
 * 2. the `charset` parameter of the HTTP `Content-Type` header;
 * 3. the XML declaration (`<?xml version="1.0" encoding="ISO-8859-1"?>`), or UTF-16 / UTF-32 of either
 *    byte order recognised from the first character without a BOM (XML 1.0 appendix F: `<` or a space
 *    with its zero bytes). A header that names an ASCII-based charset for such bytes is wrong, and
 *    yields to them;
 * 4. UTF-8 (the XML and JSON default), and when those bytes are not valid UTF-8, windows-1252, since an
 *    undeclared legacy feed is nearly always that.
 *
 * A source is skipped, and the next one decides, when its label is unknown to `TextDecoder`, when it says
 * UTF-16 of ASCII-looking bytes (a leftover of re-encoding), or when it says UTF-8 of bytes that are not
 * valid UTF-8 (servers that label every `.xml` file `charset=utf-8` serve Latin-1 feeds too). Labels follow the WHATWG Encoding Standard, as
 * both runtimes implement it: `ISO-8859-1` decodes as windows-1252 and `GB2312` as GBK (supersets).
 * @module
 */

/** The decoded text and where its character set came from. */
export interface DecodedDocument {
  text: string;
  /** Encoding name as `TextDecoder` reports it, e.g. `windows-1252`. */
  charset: string;
  source: "bom" | "header" | "declaration" | "default" | "fallback";
}

const DECLARED_ENCODING = /^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([^"']+)["']/;

/**
 * Decodes feed bytes following the order in the module description.
 *
 * @param bytes the body as fetched
 * @param contentType the HTTP `Content-Type` header, if any
 * @example
 * ```ts
 * import { decodeFeed } from "./charset.ts";
 * const bytes = new Uint8Array([0x3c, 0x61, 0x3e, 0xe9, 0x3c, 0x2f, 0x61, 0x3e]); // "<a>é</a>" in Latin-1
 * decodeFeed(bytes, "text/xml; charset=ISO-8859-1").text; // "<a>é</a>"
 * ```
 */
export function decodeFeed(bytes: Uint8Array, contentType?: string): DecodedDocument {
  const bom = bomEncoding(bytes);
  if (bom) return { text: decodeWith(bom, bytes), charset: bom, source: "bom" };
  const wide = wideEncoding(bytes);

  const declared: [string | undefined, "header" | "declaration"][] = [
    [headerCharset(contentType), "header"],
    [wide ?? declaredEncoding(bytes), "declaration"],
  ];
  // The bytes are decoded as UTF-8 at most once, however many sources say UTF-8.
  let utf8: string | undefined | null = null;
  for (const [label, source] of declared) {
    const encoding = encodingOf(label, bytes, wide);
    if (encoding === undefined) continue;
    if (encoding !== "utf-8") return { text: decodeWith(encoding, bytes), charset: encoding, source };
    utf8 ??= strictUtf8(bytes);
    if (utf8 !== undefined) return { text: utf8, charset: "utf-8", source };
  }
  if (utf8 === null) utf8 = strictUtf8(bytes);
  if (utf8 !== undefined) return { text: utf8, charset: "utf-8", source: "default" };
  return { text: decodeWith("windows-1252", bytes), charset: "windows-1252", source: "fallback" };
}

/**
 * One decoder of each kind for every document: creating one per document costs more than decoding a small
 * one. The replacing decoder is the fast one (under Deno a `fatal` decoder takes a generic path that
 * measured 1.7-2.4x the CPU time on the corpus); the strict one only settles the rare document whose text
 * has a U+FFFD in it.
 */
const UTF8 = new TextDecoder("utf-8");
const UTF8_STRICT = new TextDecoder("utf-8", { fatal: true });

/**
 * The bytes as UTF-8, or undefined when they are not valid UTF-8. The replacing decoder turns every
 * invalid sequence into U+FFFD, so a text without one came from valid bytes; a text with one came from
 * invalid bytes or from an U+FFFD written in them (EF BF BD), and the strict decoder tells which.
 */
function strictUtf8(bytes: Uint8Array): string | undefined {
  const text = UTF8.decode(bytes);
  if (text.indexOf("\ufffd") < 0) return text;
  try {
    return UTF8_STRICT.decode(bytes);
  } catch {
    return undefined;
  }
}

function decodeWith(encoding: string, bytes: Uint8Array): string {
  if (encoding === "utf-32le" || encoding === "utf-32be") return decodeUtf32(bytes, encoding === "utf-32le");
  return new TextDecoder(encoding).decode(bytes);
}

/**
 * UTF-32, which `TextDecoder` does not know: 4 bytes per code point, a BOM dropped, a value that is no
 * code point (a surrogate, above U+10FFFF) replaced by U+FFFD, a cut-off last unit dropped.
 */
function decodeUtf32(bytes: Uint8Array, littleEndian: boolean): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const units = Math.floor(bytes.byteLength / 4);
  let start = 0;
  if (units > 0 && view.getUint32(0, littleEndian) === 0xfeff) start = 1;
  const chunks: string[] = [];
  const CHUNK = 8192;
  for (let i = start; i < units; i += CHUNK) {
    const codes: number[] = [];
    for (let j = i; j < Math.min(units, i + CHUNK); j++) {
      const cp = view.getUint32(j * 4, littleEndian);
      codes.push(cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0xfffd : cp);
    }
    chunks.push(String.fromCodePoint(...codes));
  }
  return chunks.join("");
}

function bomEncoding(b: Uint8Array): string | undefined {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return "utf-8";
  if (b[0] === 0x00 && b[1] === 0x00 && b[2] === 0xfe && b[3] === 0xff) return "utf-32be";
  if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0x00 && b[3] === 0x00) return "utf-32le";
  if (b[0] === 0xff && b[1] === 0xfe) return "utf-16le";
  if (b[0] === 0xfe && b[1] === 0xff) return "utf-16be";
  return undefined;
}

/**
 * UTF-32 or UTF-16 of either byte order from the first character without a BOM: an XML document starts
 * with `<` or white space, an ASCII character whose other bytes are zero.
 */
function wideEncoding(b: Uint8Array): string | undefined {
  if (b.length < 4) return undefined;
  const ascii = (x: number) => x !== 0 && x < 0x80;
  if (b[0] === 0 && b[1] === 0 && b[2] === 0 && ascii(b[3])) return "utf-32be";
  if (ascii(b[0]) && b[1] === 0 && b[2] === 0 && b[3] === 0) return "utf-32le";
  if (b[0] === 0 && ascii(b[1]) && b[2] === 0 && ascii(b[3])) return "utf-16be";
  if (ascii(b[0]) && b[1] === 0 && ascii(b[2]) && b[3] === 0) return "utf-16le";
  return undefined;
}

/**
 * The `charset` parameter of a Content-Type header, or undefined.
 *
 * @example
 * ```ts
 * import { headerCharset } from "./charset.ts";
 * headerCharset('application/rss+xml; charset="windows-1252"'); // "windows-1252"
 * ```
 */
export function headerCharset(contentType: string | undefined): string | undefined {
  return contentType === undefined ? undefined : /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1];
}

/** Reads the first bytes for the XML declaration (its ASCII part is all that matters). */
const HEAD_DECODER = new TextDecoder("windows-1252");

function declaredEncoding(b: Uint8Array): string | undefined {
  const head = HEAD_DECODER.decode(b.subarray(0, 256));
  return DECLARED_ENCODING.exec(head)?.[1];
}

/**
 * The encoding `label` names, or undefined when the label is unknown or cannot describe these bytes: a
 * UTF-16 / UTF-32 label for bytes that start ASCII-like (a leftover of re-encoding), or an ASCII-based
 * one for bytes that start UTF-16 / UTF-32-like (`wide`).
 */
function encodingOf(
  label: string | undefined,
  bytes: Uint8Array,
  wide: string | undefined,
): string | undefined {
  if (label === undefined) return undefined;
  const name = label.trim().toLowerCase();
  const utf32 = /^(?:utf-?32|ucs-?4|iso-10646-ucs-4)(le|be)?$/.exec(name);
  let encoding: string;
  if (utf32) {
    encoding = `utf-32${utf32[1] ?? (wide === "utf-32le" ? "le" : "be")}`;
  } else {
    try {
      encoding = new TextDecoder(name).encoding;
    } catch {
      return undefined;
    }
  }
  const wideLabel = encoding.startsWith("utf-16") || encoding.startsWith("utf-32");
  if (wideLabel && looksAsciiCompatible(bytes)) return undefined;
  if (!wideLabel && wide !== undefined) return undefined;
  // "UTF-16" without an order (and no BOM) is the order the bytes show.
  if (encoding.startsWith("utf-16") && wide?.startsWith("utf-16")) return wide;
  return encoding;
}

function looksAsciiCompatible(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] !== 0 && b[1] !== 0;
}
