/**
 * Finishes decoding a `deflate` body the runtime's fetch left encoded. Both runtimes' fetch decode gzip
 * and br themselves (verified in tests/fetch_test.ts); Bun also decodes deflate, Deno 2.9 does not, so a
 * `Content-Encoding: deflate` body may arrive still compressed.
 * @module
 */
import { inflateSync } from "node:zlib";
import { BodyTooLargeError } from "./read_limited.ts";

/**
 * Returns `body` inflated when `contentEncoding` is `deflate` and the bytes still are a zlib stream (RFC
 * 1950 header, checked by the Adler-32 trailer on inflate); otherwise `body` unchanged. Throws
 * `BodyTooLargeError` when the inflated body would pass `maxBytes` (a small deflate bomb). Raw deflate
 * without the zlib wrapper (a few old servers) is left as is: it cannot be told apart from text safely.
 *
 * @example
 * ```ts
 * import { deflateSync } from "node:zlib";
 * import { finishDeflate } from "./content_encoding.ts";
 * const text = new TextDecoder().decode(finishDeflate(new Uint8Array(deflateSync("hi")), "deflate", 100));
 * text; // "hi"
 * ```
 */
export function finishDeflate(
  body: Uint8Array,
  contentEncoding: string | null,
  maxBytes: number,
): Uint8Array {
  if (!contentEncoding || !/\bdeflate\b/i.test(contentEncoding) || !isZlibHeader(body)) return body;
  try {
    const out = inflateSync(body, { maxOutputLength: maxBytes });
    return new Uint8Array(out); // a copy: small Buffers may live in Node's shared pool
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new BodyTooLargeError(maxBytes);
    return body; // not a zlib stream after all (the runtime decoded it): keep the bytes
  }
}

function isZlibHeader(b: Uint8Array): boolean {
  // CM = 8 (deflate), CINFO <= 7, and the 16-bit header is a multiple of 31 (RFC 1950 section 2.2).
  return b.length >= 2 && (b[0] & 0x0f) === 8 && b[0] >> 4 <= 7 && ((b[0] << 8) | b[1]) % 31 === 0;
}
