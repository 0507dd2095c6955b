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
 * Encodes bytes as base64 in lines of 76 characters joined with CRLF (no CRLF at the end).
 *
 * @example
 * ```ts
 * import { encodeBase64Body } from "./body_encoding.ts";
 * encodeBase64Body(new Uint8Array([0, 1, 2, 255])); // "AAEC/w=="
 * ```
 */
export function encodeBase64Body(bytes: Uint8Array): string {
  return base64Lines(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"));
}

function base64Lines(b64: string): string {
  if (b64.length <= BASE64_LINE) return b64;
  let out = b64.slice(0, BASE64_LINE);
  for (let at = BASE64_LINE; at < b64.length; at += BASE64_LINE) {
    out += "\r\n" + b64.slice(at, at + BASE64_LINE);
  }
  return out;
}
