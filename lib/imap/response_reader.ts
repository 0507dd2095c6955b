/**
 * Cuts the byte stream from an IMAP server into whole responses. A response is one line, except that a
 * line ending in `{n}` is followed by n raw bytes (a literal) and then continues, so the reader hands out
 * the text pieces and the literals separately and never treats literal bytes as protocol.
 * @module
 */
import { concatBytes } from "../../engine/concat_bytes.ts";

/**
 * One complete server response. `segments` has one more entry than `literals`: every segment but the
 * last ends with the `{n}` that announced the literal after it.
 *
 * @example
 * ```ts
 * const f: ResponseFrame = { segments: ["* 1 FETCH (BODY[] {5}", ")"], literals: [new Uint8Array(5)] };
 * ```
 */
export interface ResponseFrame {
  segments: string[];
  literals: Uint8Array[];
}

const LITERAL_AT_END = /\{(\d+)\}$/;
const decoder = new TextDecoder();

/**
 * Incremental framer: `push(chunk)` returns the responses completed by that chunk.
 *
 * @example
 * ```ts
 * import { ResponseReader } from "./response_reader.ts";
 * const r = new ResponseReader();
 * r.push(new TextEncoder().encode("* OK hi\r\na1 OK do"));
 * // -> [{ segments: ["* OK hi"], literals: [] }]
 * r.push(new TextEncoder().encode("ne\r\n")); // -> [{ segments: ["a1 OK done"], literals: [] }]
 * ```
 */
export class ResponseReader {
  #buf: Uint8Array = new Uint8Array(0);
  #segments: string[] = [];
  #literals: Uint8Array[] = [];
  /** Bytes still owed to the literal being read, or -1 when reading a line. */
  #literalLeft = -1;

  /**
   * Adds bytes from the socket.
   * @param chunk the bytes as they arrived
   * @returns the responses that are now complete, in order
   */
  push(chunk: Uint8Array): ResponseFrame[] {
    this.#buf = this.#buf.length === 0 ? chunk : concatBytes([this.#buf, chunk]);
    const out: ResponseFrame[] = [];
    let pos = 0;
    for (;;) {
      if (this.#literalLeft >= 0) {
        if (this.#buf.length - pos < this.#literalLeft) break;
        this.#literals.push(this.#buf.slice(pos, pos + this.#literalLeft));
        pos += this.#literalLeft;
        this.#literalLeft = -1;
        continue;
      }
      const eol = indexOfCrlf(this.#buf, pos);
      if (eol < 0) break;
      const line = decoder.decode(this.#buf.subarray(pos, eol));
      pos = eol + 2;
      this.#segments.push(line);
      const m = LITERAL_AT_END.exec(line);
      if (m) {
        this.#literalLeft = Number(m[1]);
        continue;
      }
      out.push({ segments: this.#segments, literals: this.#literals });
      this.#segments = [];
      this.#literals = [];
    }
    this.#buf = pos === 0 ? this.#buf : this.#buf.slice(pos);
    return out;
  }
}

function indexOfCrlf(buf: Uint8Array, from: number): number {
  for (let i = buf.indexOf(13, from); i >= 0 && i + 1 < buf.length; i = buf.indexOf(13, i + 1)) {
    if (buf[i + 1] === 10) return i;
  }
  return -1;
}
