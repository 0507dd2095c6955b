/**
 * Deterministic, valid PNG images for the feed farm: a seeded RGB gradient, encoded with `node:zlib`
 * (stored deflate blocks) and CRC-32. Stored blocks make the file size follow the pixel count exactly and
 * cost microseconds, so a farm serving thousands of images never becomes the bottleneck it measures.
 * @module
 */
import { deflateSync } from "node:zlib";
import { Buffer } from "node:buffer";

/**
 * A seeded pseudo-random generator (mulberry32) returning floats in [0, 1).
 *
 * @example
 * ```ts
 * import { seededRandom } from "./png_image.ts";
 * const r = seededRandom("feed:1");
 * r() === seededRandom("feed:1")(); // true
 * ```
 */
export function seededRandom(key: string): () => number {
  let a = hash32(key);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * FNV-1a with a final avalanche: a 32-bit hash of a string.
 *
 * @example
 * ```ts
 * import { hash32 } from "./png_image.ts";
 * hash32("a").toString(16);
 * ```
 */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Bytes per pixel of an uncompressed RGB row (plus one filter byte a row, ignored here). */
const BYTES_PER_PIXEL = 3;
/** Signature, IHDR, IDAT and IEND framing, zlib header and stored-block headers (about). */
const OVERHEAD_BYTES = 70;

/**
 * A PNG of about `targetBytes` (within ~2%), the same bytes for the same `key`.
 *
 * @param key seed (e.g. `img:1:3:0`)
 * @param targetBytes wanted file size
 * @param aspect width / height
 *
 * @example
 * ```ts
 * import { makePng } from "./png_image.ts";
 * const png = makePng("demo", 8000);
 * png[1] === 0x50; // "P" of the signature
 * ```
 */
export function makePng(key: string, targetBytes: number, aspect = 4 / 3): Uint8Array {
  const pixels = Math.max(16, (targetBytes - OVERHEAD_BYTES) / BYTES_PER_PIXEL);
  const width = Math.max(4, Math.round(Math.sqrt(pixels * aspect)));
  const height = Math.max(4, Math.round(pixels / width));
  return encodePng(width, height, rgbField(width, height, seededRandom(key)));
}

/**
 * Encodes 8-bit RGB pixels (row-major, 3 bytes a pixel) as a PNG: signature, IHDR, one IDAT, IEND.
 *
 * @example
 * ```ts
 * import { encodePng } from "./png_image.ts";
 * const red = encodePng(1, 1, new Uint8Array([255, 0, 0]));
 * ```
 */
export function encodePng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None
    raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, no filter method, no interlace
  return new Uint8Array(Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 0 })),
    chunk("IEND", Buffer.alloc(0)),
  ]));
}

/**
 * CRC-32 (ISO 3309, as PNG chunks use it).
 *
 * @example
 * ```ts
 * import { crc32 } from "./png_image.ts";
 * crc32(new TextEncoder().encode("IEND")) === 0xae426082; // true
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function chunk(type: string, data: Uint8Array): Buffer {
  const typed = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const out = Buffer.alloc(typed.length + 8);
  out.writeUInt32BE(data.length, 0);
  typed.copy(out, 4);
  out.writeUInt32BE(crc32(typed), typed.length + 4);
  return out;
}

function rgbField(width: number, height: number, random: () => number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  const start = [random() * 256, random() * 256, random() * 256];
  const dx = [random() * 6 - 3, random() * 6 - 3, random() * 6 - 3];
  const dy = [random() * 6 - 3, random() * 6 - 3, random() * 6 - 3];
  let o = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) out[o++] = (start[c] + dx[c] * x + dy[c] * y) & 0xff;
    }
  }
  return out;
}
