/**
 * Reads a response body into memory, refusing to hold more than a limit: the stream is cancelled as soon
 * as the limit is passed, so a huge or endless body costs at most `maxBytes`.
 * @module
 */
import { concatBytes } from "../../engine/concat_bytes.ts";

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
 * Returns the whole body of `response` as bytes in a buffer of their own, or throws `BodyTooLargeError` once
 * more than `maxBytes` arrived (or `Content-Length` already says so, before reading anything).
 *
 * Where the runtime's fetch body is a byte stream (Deno), the body is read straight into one growing buffer
 * with a BYOB reader. The default reader hands out every decoded piece (4 KB for a gzip body) in a fresh
 * buffer; in W3 those pieces were 50-90 MB of garbage awaiting GC at the start of a run. Where it is not
 * (Bun), the pieces are collected and joined.
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
  let reader: ReadableStreamBYOBReader | undefined;
  try {
    reader = response.body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream: read it piece by piece below.
  }
  // Without compression Content-Length is the size (one byte more sees the end); a compressed body
  // starts at a size that fits most feeds and doubles.
  const encoded = response.headers.has("content-encoding");
  const firstSize = Number.isFinite(declared) && !encoded ? declared + 1 : 64 * 1024;
  return reader
    ? await readIntoBuffer(reader, Math.min(firstSize, maxBytes + 1), maxBytes)
    : await readPieces(
      response.body.getReader(),
      maxBytes,
    );
}

async function readIntoBuffer(
  reader: ReadableStreamBYOBReader,
  firstSize: number,
  maxBytes: number,
): Promise<Uint8Array> {
  let buffer = new ArrayBuffer(Math.max(1, firstSize));
  let length = 0;
  try {
    for (;;) {
      if (length === buffer.byteLength) {
        if (length > maxBytes) {
          await reader.cancel().catch(() => {});
          throw new BodyTooLargeError(maxBytes);
        }
        buffer = buffer.transfer(Math.min(buffer.byteLength * 2, maxBytes + 1));
      }
      const { done, value } = await reader.read(new Uint8Array(buffer, length));
      if (done) {
        if (value) buffer = value.buffer as ArrayBuffer;
        break;
      }
      buffer = value.buffer as ArrayBuffer; // the read detached the view we passed: its bytes live here now
      length += value.byteLength;
    }
  } finally {
    reader.releaseLock();
  }
  if (length > maxBytes) throw new BodyTooLargeError(maxBytes);
  // transfer() to the exact size: a buffer the bytes own alone, so it can move to a worker.
  return new Uint8Array(buffer.transfer(length));
}

async function readPieces(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array> {
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
  return concatBytes(chunks, total);
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
