/**
 * Decoding a feed's bytes. The character set comes from, in order (RFC 7303 section 3, what browsers do):
 *
 * 1. a byte order mark (UTF-8, UTF-16LE, UTF-16BE): the bytes cannot lie about it;
 * 2. the `charset` parameter of the HTTP `Content-Type` header;
 * 3. the XML declaration (`<?xml version="1.0" encoding="ISO-8859-1"?>`), or UTF-16 recognised from the
 *    first `<?` without a BOM;
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
  if (bom) return { text: new TextDecoder(bom).decode(bytes), charset: bom, source: "bom" };

  const declared: [string | undefined, "header" | "declaration"][] = [
    [headerCharset(contentType), "header"],
    [declaredEncoding(bytes), "declaration"],
  ];
  for (const [label, source] of declared) {
    const chosen = decoder(label, bytes);
    if (chosen === undefined) continue;
    if (chosen.encoding !== "utf-8") return { text: chosen.decode(bytes), charset: chosen.encoding, source };
    const text = strictUtf8(bytes);
    if (text !== undefined) return { text, charset: "utf-8", source };
  }
  const text = strictUtf8(bytes);
  if (text !== undefined) return { text, charset: "utf-8", source: "default" };
  return { text: new TextDecoder("windows-1252").decode(bytes), charset: "windows-1252", source: "fallback" };
}

/** The bytes as UTF-8, or undefined when they are not valid UTF-8. */
function strictUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function bomEncoding(b: Uint8Array): string | undefined {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return "utf-8";
  if (b[0] === 0xff && b[1] === 0xfe) return "utf-16le";
  if (b[0] === 0xfe && b[1] === 0xff) return "utf-16be";
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

function declaredEncoding(b: Uint8Array): string | undefined {
  // "<?" in UTF-16 without a BOM: the declaration itself is unreadable as ASCII.
  if (b[0] === 0x3c && b[1] === 0x00 && b[2] === 0x3f && b[3] === 0x00) return "utf-16le";
  if (b[0] === 0x00 && b[1] === 0x3c && b[2] === 0x00 && b[3] === 0x3f) return "utf-16be";
  const head = new TextDecoder("windows-1252").decode(b.subarray(0, 256));
  return DECLARED_ENCODING.exec(head)?.[1];
}

/** A decoder for `label`, or undefined when the label is unknown or cannot describe these bytes. */
function decoder(label: string | undefined, bytes?: Uint8Array): TextDecoder | undefined {
  if (label === undefined) return undefined;
  let result: TextDecoder;
  try {
    result = new TextDecoder(label.trim());
  } catch {
    return undefined;
  }
  if (bytes && result.encoding.startsWith("utf-16") && looksAsciiCompatible(bytes)) return undefined;
  return result;
}

function looksAsciiCompatible(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] !== 0 && b[1] !== 0;
}
