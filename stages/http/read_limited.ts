/**
 * Reads a response body into memory, refusing to hold more than a limit: the stream is cancelled as soon
 * as the limit is passed, so a huge or endless body costs at most `maxBytes`.
 * @module
 */

/** Thrown by `readLimited` when the body is larger than the limit; the caller adds URL and hint. */
export class BodyTooLargeError extends Error {
  /** The limit that was passed, in bytes. */
  readonly maxBytes: number;
  /** @param maxBytes the limit that was passed */
  constructor(maxBytes: number) {
    super(`body is larger than ${formatBytes(maxBytes)}`);
    this.name = "BodyTooLargeError";
    this.maxBytes = maxBytes;
  }
}

/**
 * Returns the whole body of `response` as bytes in a buffer of their own, or throws `BodyTooLargeError` once more than `maxBytes`
 * arrived (or `Content-Length` already says so, before reading anything).
 *
 * @example
 * ```ts
 * import { readLimited } from "./read_limited.ts";
 * const bytes = await readLimited(new Response("hello"), 1024);
 * bytes.length; // 5
 * ```
 */
export async function readLimited(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new BodyTooLargeError(maxBytes);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new BodyTooLargeError(maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  // A lone chunk that owns its whole buffer is returned as is; anything else is copied, so the result
  // can be transferred to a worker without dragging (or detaching) a shared buffer along.
  const only = chunks[0];
  if (chunks.length === 1 && only.byteOffset === 0 && only.byteLength === only.buffer.byteLength) return only;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Formats a byte count for messages: `10 MB`, `512 KB`, `300 B` (powers of 1024).
 *
 * @example
 * ```ts
 * import { formatBytes } from "./read_limited.ts";
 * formatBytes(10 * 1024 * 1024); // "10 MB"
 * ```
 */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} B`;
}
