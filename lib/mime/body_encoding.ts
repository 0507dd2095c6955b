/**
 * Content-Transfer-Encoding of a part's body: text as quoted-printable (or base64 when that is shorter:
 * mostly non-Latin text, where quoted-printable would double or triple its size), binary as base64 in
 * 76-character lines. Both give 7-bit output with CRLF line ends.
 * @module
 */
import { Buffer } from "node:buffer";
import { encodeQuotedPrintable } from "./quoted_printable.ts";

/** A body ready to go after its part's header, and the encoding to declare. */
export interface EncodedBody {
  /** The `Content-Transfer-Encoding` value. */
  transferEncoding: "quoted-printable" | "base64";
  /** The encoded body, lines joined with CRLF. */
  body: string;
}

/** Base64 characters per line (RFC 2045's maximum). */
const BASE64_LINE = 76;
/** Base64 characters per input byte, line breaks included. */
const BASE64_RATIO = (4 / 3) * (BASE64_LINE + 2) / BASE64_LINE;

function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4 * (BASE64_LINE + 2) / BASE64_LINE;
}

/**
 * Encodes a text body as quoted-printable, which keeps Latin text readable in the raw message, unless
 * base64 of the same text (line breaks made CRLF) is shorter.
 *
 * @example
 * ```ts
 * import { encodeTextBody } from "./body_encoding.ts";
 * encodeTextBody("Hello\n"); // { transferEncoding: "quoted-printable", body: "Hello\r\n" }
 * encodeTextBody("日本語\n").transferEncoding; // "base64"
 * ```
 */
export function encodeTextBody(text: string): EncodedBody {
  const qp = encodeQuotedPrintable(text);
  // Base64 takes 4/3 of the UTF-8 bytes plus line breaks, and there are at least as many bytes as UTF-16
  // units: below that bound quoted-printable is the shorter without counting the bytes.
  if (qp.length <= text.length * BASE64_RATIO || qp.length <= base64Length(Buffer.byteLength(text, "utf8"))) {
    return { transferEncoding: "quoted-printable", body: qp };
  }
  const crlf = Buffer.from(text.replace(/\r?\n/g, "\r\n"), "utf8");
  return { transferEncoding: "base64", body: base64Lines(crlf.toString("base64")) };
}

/**
 * Encodes bytes as base64 in lines of 76 characters joined with CRLF (no CRLF at the end), as ASCII bytes:
 * written straight into one buffer of the exact size, so an image never becomes a base64 string, its
 * lines and their joined copy on the way to the message's bytes.
 *
 * @example
 * ```ts
 * import { encodeBase64Body } from "./body_encoding.ts";
 * new TextDecoder().decode(encodeBase64Body(new Uint8Array([0, 1, 2, 255]))); // "AAEC/w=="
 * ```
 */
export function encodeBase64Body(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  const chars = Math.ceil(n / 3) * 4;
  // A multiple of 4 characters and 2 per line break: an even length, written two characters at a time.
  const out = new Uint8Array(chars + 2 * Math.max(0, Math.ceil(chars / BASE64_LINE) - 1));
  const pairs = new Uint16Array(out.buffer, 0, out.length >> 1);
  const whole = n - (n % 3);
  let o = 0;
  let i = 0;
  while (i < whole) {
    const full = i + BASE64_LINE_BYTES <= whole;
    const end = full ? i + BASE64_LINE_BYTES : whole;
    for (; i < end; i += 3) {
      const triple = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      pairs[o++] = CHAR_PAIRS[triple >> 12];
      pairs[o++] = CHAR_PAIRS[triple & 4095];
    }
    if (full && i < n) pairs[o++] = CRLF_PAIR;
  }
  if (whole < n) {
    o *= 2;
    const two = whole + 1 < n;
    const last = (bytes[whole] << 16) | (two ? bytes[whole + 1] << 8 : 0);
    out[o++] = ALPHABET[last >> 18];
    out[o++] = ALPHABET[(last >> 12) & 63];
    out[o++] = two ? ALPHABET[(last >> 6) & 63] : PAD;
    out[o++] = PAD;
  }
  return out;
}

/** Input bytes per base64 line. */
const BASE64_LINE_BYTES = (BASE64_LINE / 4) * 3;
const ALPHABET = new TextEncoder().encode("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
const PAD = 0x3d;
/** Whether a Uint16Array stores its low byte first (in memory order) on this machine. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Two ASCII bytes as one 16-bit unit of this machine, first byte first in memory. */
function pair(first: number, second: number): number {
  return LITTLE_ENDIAN ? first | (second << 8) : (first << 8) | second;
}
/** The two characters of every 12 bits, as one 16-bit unit each. */
const CHAR_PAIRS = new Uint16Array(4096).map((_, k) => pair(ALPHABET[k >> 6], ALPHABET[k & 63]));
const CRLF_PAIR = pair(0x0d, 0x0a);

function base64Lines(b64: string): string {
  if (b64.length <= BASE64_LINE) return b64;
  let out = b64.slice(0, BASE64_LINE);
  for (let at = BASE64_LINE; at < b64.length; at += BASE64_LINE) {
    out += "\r\n" + b64.slice(at, at + BASE64_LINE);
  }
  return out;
}
