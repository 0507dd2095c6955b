/**
 * Quoted-printable (RFC 2045 6.7) for text bodies, in one synchronous pass over the string (its UTF-8 is
 * produced on the way). Mostly ASCII text (HTML, Latin scripts) stays readable in the raw message; the
 * output is 7-bit with CRLF line ends and lines of at most 76 characters.
 * @module
 */

/** Longest encoded line, soft-break `=` included (RFC 2045). */
const LINE = 76;
const HEX = new TextEncoder().encode("0123456789ABCDEF");
const ascii = new TextDecoder();

/** Per ASCII character: written as it is anywhere (printable, but `=` and `.`), whitespace, or neither. */
const AS_IS = 1;
const WHITESPACE = 2;
const LITERAL = new Uint8Array(128).map((_, c) =>
  c === 0x20 || c === 0x09 ? WHITESPACE : c >= 0x21 && c <= 0x7e && c !== 0x3d && c !== 0x2e ? AS_IS : 0
);

/** Output characters per UTF-16 unit at most: 3 UTF-8 bytes escaped (9), plus soft breaks (under 5%). */
const EXPANSION = 10;
/** Reused between calls (the encoder is synchronous) while bodies need no more than this. */
const KEPT_BUFFER = 1 << 20;
let output = new Uint8Array(65_536);
/** The UTF-8 bytes of the character being escaped. */
const char = new Uint8Array(4);

/**
 * Encodes text as quoted-printable UTF-8. A line break in the text (LF or CRLF) becomes a CRLF line
 * break; longer lines get soft breaks (`=` CRLF) that never split an `=XX` escape nor a multi-byte
 * character. Escaped: `=`, characters outside printable ASCII (a lone CR is data: `=0D`), a space or tab
 * before a line break or at the end, and a `.` starting a line (SMTP dot-stuffing never has to touch it).
 * The string is read directly, which under Deno is cheaper than encoding it to bytes first.
 *
 * @param text the body; any line breaks
 * @returns ASCII text whose lines are joined with CRLF, without a CRLF of its own at the end
 *
 * @example
 * ```ts
 * import { encodeQuotedPrintable } from "./quoted_printable.ts";
 * encodeQuotedPrintable("Café = 3 €\n"); // "Caf=C3=A9 =3D 3 =E2=82=AC\r\n"
 * ```
 */
export function encodeQuotedPrintable(text: string): string {
  const size = text.length * EXPANSION + 16;
  if (size > output.length && size <= KEPT_BUFFER) output = new Uint8Array(size);
  // A body too large for the kept buffer gets one of its own, so no worker holds on to megabytes.
  const out = size <= output.length ? output : new Uint8Array(size);
  return ascii.decode(out.subarray(0, encodeInto(text, out)));
}

/** The encoding loop, apart so that the optimising compiler sees only it; returns the length written. */
function encodeInto(text: string, out: Uint8Array): number {
  const n = text.length;
  let o = 0;
  let col = 0;
  let i = 0;
  while (i < n) {
    // The common case first: a run of printable characters and inner spaces with room left on the line.
    const room = Math.min(n, i + (LINE - 1 - col));
    const start = i;
    while (i < room) {
      const d = text.charCodeAt(i);
      if (d >= 0x80) break;
      const kind = LITERAL[d];
      if (kind !== AS_IS) {
        if (kind !== WHITESPACE || i + 1 >= n) break;
        const after = text.charCodeAt(i + 1);
        if (after === 0x0a || after === 0x0d) break;
      }
      out[o++] = d;
      i++;
    }
    col += i - start;
    if (i >= n) break;
    const c = text.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) === 0x0a)) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      col = 0;
      i += c === 0x0a ? 1 : 2;
      continue;
    }
    const units = c >= 0xd800 && c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
    const next = i + units < n ? text.charCodeAt(i + units) : -1;
    const endsLine = next === -1 || next === 0x0a ||
      (next === 0x0d && text.charCodeAt(i + units + 1) === 0x0a);
    let literal = c < 0x80 &&
      (LITERAL[c] === AS_IS || c === 0x2e || (LITERAL[c] === WHITESPACE && !endsLine));
    const bytes = literal ? 1 : utf8Char(c, units === 2 ? text.charCodeAt(i + 1) : 0);
    let width = literal ? 1 : 3 * bytes;
    // A line ending here may use all 76 characters; one going on keeps the last for the soft break.
    if (col + width > (endsLine ? LINE : LINE - 1)) {
      out[o++] = 0x3d;
      out[o++] = 0x0d;
      out[o++] = 0x0a;
      col = 0;
    }
    if (col === 0 && c === 0x2e) {
      literal = false;
      char[0] = c;
      width = 3;
    }
    if (literal) {
      out[o++] = c;
    } else {
      for (let k = 0; k < width / 3; k++) {
        out[o++] = 0x3d;
        out[o++] = HEX[char[k] >> 4];
        out[o++] = HEX[char[k] & 15];
      }
    }
    col += width;
    i += units;
  }
  return o;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Writes the UTF-8 bytes of one character to {@link char}; a lone surrogate becomes U+FFFD. */
function utf8Char(c: number, low: number): number {
  if (c < 0x80) {
    char[0] = c;
    return 1;
  }
  if (c < 0x800) {
    char[0] = 0xc0 | (c >> 6);
    char[1] = 0x80 | (c & 63);
    return 2;
  }
  if (low) {
    const cp = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
    char[0] = 0xf0 | (cp >> 18);
    char[1] = 0x80 | ((cp >> 12) & 63);
    char[2] = 0x80 | ((cp >> 6) & 63);
    char[3] = 0x80 | (cp & 63);
    return 4;
  }
  const cp = c >= 0xd800 && c <= 0xdfff ? 0xfffd : c;
  char[0] = 0xe0 | (cp >> 12);
  char[1] = 0x80 | ((cp >> 6) & 63);
  char[2] = 0x80 | (cp & 63);
  return 3;
}
