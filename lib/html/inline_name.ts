/**
 * Names an inline image deterministically from its URL: the same image gets the same Content-ID in every
 * message and every run, so re-composing a message gives identical bytes.
 * @module
 */
import { createHash } from "node:crypto";

/**
 * The Content-ID (without angle brackets) of the image at `url`: `img.<first 16 hex of SHA-1>@sluice`.
 *
 * @example
 * ```ts
 * import { cidForUrl } from "./inline_name.ts";
 * cidForUrl("https://example.org/a.png"); // "img.<16 hex digits>@sluice", the same on every call
 * ```
 */
export function cidForUrl(url: string): string {
  return `img.${createHash("sha1").update(url).digest("hex").slice(0, 16)}@sluice`;
}

/**
 * A safe attachment file name from the last segment of `url`'s path, with `extension` (the sniffed
 * type's) replacing a missing or wrong one: `https://e.org/p/Photo%201.JPG?w=5` with `jpg` gives
 * `Photo_1.jpg`; a URL without a usable name gives `image.<extension>`.
 *
 * @example
 * ```ts
 * import { filenameForUrl } from "./inline_name.ts";
 * filenameForUrl("https://example.org/media/cat.php?id=3", "png"); // "cat.png"
 * ```
 */
export function filenameForUrl(url: string, extension: string): string {
  let segment = "";
  try {
    const path = new URL(url).pathname;
    segment = decodeURIComponent(path.slice(path.lastIndexOf("/") + 1));
  } catch {
    // An undecodable or invalid URL just has no usable name.
  }
  const stem = segment.replace(/\.[^.]*$/, "").replace(/[^\p{L}\p{N}._-]+/gu, "_").replace(/^[._]+|_+$/g, "")
    .slice(0, 80);
  return `${stem || "image"}.${extension}`;
}
