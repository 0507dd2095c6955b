/**
 * Joining byte chunks into one buffer: the IMAP response reader keeps a partial response across socket
 * chunks, the IMAP connection sends a small command as one buffer, and `readLimited` joins the pieces of a
 * body where the runtime's fetch has no byte stream.
 * @module
 */

/**
 * The chunks one after another in a new buffer.
 *
 * @param chunks the pieces, in order
 * @param total their summed length, when the caller already knows it
 * @returns a buffer of `total` bytes
 * @example
 * ```ts
 * import { concatBytes } from "./concat_bytes.ts";
 * concatBytes([new Uint8Array([1, 2]), new Uint8Array([3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(
  chunks: readonly Uint8Array[],
  total: number = chunks.reduce((n, c) => n + c.length, 0),
): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
