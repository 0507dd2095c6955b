/**
 * Tells an image's type from its first bytes, because servers often send the wrong Content-Type (or
 * `application/octet-stream`), and a mail client shows an inline part only when its type is right.
 * @module
 */

/** A recognised image type. */
export interface SniffedImage {
  /** MIME type, e.g. `image/png`. */
  contentType: string;
  /** File extension without the dot, e.g. `png`. */
  extension: string;
}

const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
const startsWith = (b: Uint8Array, sig: number[], at = 0) =>
  b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);

/**
 * Returns the image type `bytes` hold (PNG, JPEG, GIF, WebP, AVIF, BMP, ICO or SVG), or undefined when
 * they are not an image sluice inlines (HTML error pages, JSON, truncated data).
 *
 * @example
 * ```ts
 * import { sniffImageType } from "./sniff.ts";
 * sniffImageType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])); // { contentType: "image/png", extension: "png" }
 * sniffImageType(new TextEncoder().encode("<html>404</html>")); // undefined
 * ```
 */
export function sniffImageType(bytes: Uint8Array): SniffedImage | undefined {
  const b = bytes;
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    return { contentType: "image/png", extension: "png" };
  }
  if (startsWith(b, [0xff, 0xd8, 0xff])) return { contentType: "image/jpeg", extension: "jpg" };
  if (b.length >= 6 && (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a")) {
    return { contentType: "image/gif", extension: "gif" };
  }
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") {
    return { contentType: "image/webp", extension: "webp" };
  }
  if (isAvif(b)) return { contentType: "image/avif", extension: "avif" };
  if (isBmp(b)) return { contentType: "image/bmp", extension: "bmp" };
  // ICONDIR: reserved 0, type 1 (icon), at least one image.
  if (startsWith(b, [0, 0, 1, 0]) && b.length >= 6 && (b[4] | (b[5] << 8)) > 0) {
    return { contentType: "image/x-icon", extension: "ico" };
  }
  if (isSvg(b)) return { contentType: "image/svg+xml", extension: "svg" };
  return undefined;
}

/** ISO-BMFF `ftyp` box whose major or compatible brands include `avif` (still) or `avis` (sequence). */
function isAvif(b: Uint8Array): boolean {
  if (b.length < 16 || ascii(b, 4, 8) !== "ftyp") return false;
  const size = Math.min(((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0, b.length);
  const brands = [ascii(b, 8, 12)];
  for (let at = 16; at + 4 <= size; at += 4) brands.push(ascii(b, at, at + 4));
  return brands.includes("avif") || brands.includes("avis");
}

/** `BM`, then a DIB header of one of the known sizes at offset 14 (plain `BM` alone is too weak). */
function isBmp(b: Uint8Array): boolean {
  if (b.length < 18 || b[0] !== 0x42 || b[1] !== 0x4d) return false;
  const dib = b[14] | (b[15] << 8) | (b[16] << 16) | (b[17] << 24);
  return [12, 16, 40, 52, 56, 64, 108, 124].includes(dib);
}

/** Text whose first element, after an optional BOM, XML declaration, comments and doctype, is `<svg`. */
function isSvg(b: Uint8Array): boolean {
  const head = new TextDecoder("utf-8", { fatal: false }).decode(b.subarray(0, 4096)).replace(/^\uFEFF/, "");
  return /^\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>/]/i.test(head);
}
