/**
 * Reads a header value back the way it was meant before it was written into a message: folding undone
 * (RFC 5322 2.2.3) and MIME encoded-words decoded (RFC 2047), so an entry id compares equal to what the
 * composer was given even when it was long (folded) or not ASCII (`=?UTF-8?Q?...?=`).
 * @module
 */

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;
const BETWEEN_WORDS = /(=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)/g;

/**
 * The value of header `name` in a header block, unfolded and decoded; undefined when absent. The first
 * occurrence wins; the name is matched case-insensitively.
 *
 * @param headers the header lines (CRLF or LF), e.g. a FETCH of `BODY[HEADER.FIELDS (NAME)]`
 * @param name header name
 * @returns the decoded value, trimmed
 * @example
 * ```ts
 * import { headerValue } from "./header_value.ts";
 * headerValue("X-Id: =?UTF-8?Q?caf=C3=A9?=\r\n", "x-id"); // "café"
 * headerValue("X-Id:\r\n https://example.org/a\r\n", "X-Id"); // "https://example.org/a"
 * ```
 */
export function headerValue(headers: string, name: string): string | undefined {
  const unfolded = headers.replace(/\r?\n(?=[ \t])/g, "");
  const prefix = `${name.toLowerCase()}:`;
  const line = unfolded.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(prefix));
  return line === undefined ? undefined : decodeEncodedWords(line.slice(prefix.length).trim());
}

/**
 * Decodes RFC 2047 encoded-words (`=?charset?Q?...?=`, `=?charset?B?...?=`); whitespace between two
 * encoded-words is dropped, as the RFC says. Words in unknown charsets stay as they are.
 *
 * @param value a raw header value
 * @returns the decoded text
 * @example
 * ```ts
 * import { decodeEncodedWords } from "./header_value.ts";
 * decodeEncodedWords("=?UTF-8?B?w7w=?= und =?ISO-8859-1?Q?=FC?="); // "ü und ü"
 * ```
 */
export function decodeEncodedWords(value: string): string {
  return value.replace(BETWEEN_WORDS, "$1").replace(
    ENCODED_WORD,
    (word, charset: string, enc: string, text: string) => {
      let bytes: Uint8Array;
      if (enc.toUpperCase() === "B") {
        try {
          bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
        } catch {
          return word;
        }
      } else {
        const s = text.replace(/_/g, " ");
        const out: number[] = [];
        for (let i = 0; i < s.length; i++) {
          if (s[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
            out.push(parseInt(s.slice(i + 1, i + 3), 16));
            i += 2;
          } else out.push(s.charCodeAt(i));
        }
        bytes = Uint8Array.from(out);
      }
      try {
        // RFC 2231 allows a language suffix: UTF-8*en.
        return new TextDecoder(charset.split("*")[0]).decode(bytes);
      } catch {
        return word;
      }
    },
  );
}
