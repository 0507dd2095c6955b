/**
 * A small MIME reader for tests: header unfolding, RFC 2047 encoded words, RFC 2231 parameters,
 * nested multiparts, base64 and quoted-printable bodies. It exists so tests can check composed messages
 * with a parser that shares no code with the composer (nodemailer has no parser; `mailparser` from npm
 * would be the fuller choice as a devDependency).
 * @module
 */
import { Buffer } from "node:buffer";

/** One MIME entity: its headers, its decoded body, and its children when it is a multipart. */
export interface MimePart {
  /** Header fields in order, names lower-cased, values unfolded but not decoded. */
  headers: Array<[name: string, value: string]>;
  /** `type/subtype`, lower-cased (`text/plain` when absent). */
  contentType: string;
  /** Content-Type parameters, names lower-cased (`boundary`, `charset`, `name`, ...). */
  params: Record<string, string>;
  /** The body after Content-Transfer-Encoding decoding (empty for a multipart). */
  body: Uint8Array;
  /** Child parts of a multipart, in order. */
  parts: MimePart[];
}

/**
 * Parses a whole message (CRLF or LF line endings).
 *
 * @example
 * ```ts
 * import { parseMime, headerValue } from "./mime_reader.ts";
 * const m = parseMime("Subject: =?UTF-8?Q?caf=C3=A9?=\r\n\r\nhello\r\n");
 * headerValue(m, "subject"); // "café"
 * ```
 */
export function parseMime(raw: Uint8Array | string): MimePart {
  const binary = typeof raw === "string" ? Buffer.from(raw, "utf8").toString("latin1") : latin1(raw);
  return parseEntity(binary);
}

/**
 * The first header `name` of a part, unfolded and with encoded words decoded; undefined when absent.
 *
 * @example
 * ```ts
 * import { parseMime, headerValue } from "./mime_reader.ts";
 * headerValue(parseMime("X-A: 1\r\n\r\n"), "x-a"); // "1"
 * ```
 */
export function headerValue(part: MimePart, name: string): string | undefined {
  const found = part.headers.find(([n]) => n === name.toLowerCase());
  return found ? decodeWords(found[1]) : undefined;
}

/**
 * Every part of the tree, depth first, the root included.
 *
 * @example
 * ```ts
 * import { allParts, parseMime } from "./mime_reader.ts";
 * allParts(parseMime("Content-Type: text/plain\r\n\r\nx")).length; // 1
 * ```
 */
export function allParts(root: MimePart): MimePart[] {
  return [root, ...root.parts.flatMap(allParts)];
}

/**
 * The part whose Content-ID is `<cid>` (what an HTML `cid:` URL refers to), if any.
 *
 * @example
 * ```ts
 * import { partByCid, parseMime } from "./mime_reader.ts";
 * partByCid(parseMime("Content-ID: <a@b>\r\n\r\nx"), "a@b")?.body.length; // 1
 * ```
 */
export function partByCid(root: MimePart, cid: string): MimePart | undefined {
  return allParts(root).find((p) => headerValue(p, "content-id")?.replace(/^<|>$/g, "") === cid);
}

/**
 * A part's body as text in its declared charset (UTF-8 by default).
 *
 * @example
 * ```ts
 * import { bodyText, parseMime } from "./mime_reader.ts";
 * bodyText(parseMime("Content-Type: text/plain; charset=utf-8\r\n\r\nhi")); // "hi"
 * ```
 */
export function bodyText(part: MimePart): string {
  return new TextDecoder(part.params.charset ?? "utf-8").decode(part.body);
}

/**
 * Decodes RFC 2047 encoded words (`=?UTF-8?Q?...?=`, `=?UTF-8?B?...?=`); whitespace between two
 * encoded words is dropped, as the RFC says.
 *
 * @example
 * ```ts
 * import { decodeWords } from "./mime_reader.ts";
 * decodeWords("=?UTF-8?B?w6k=?= x"); // "é x"
 * ```
 */
export function decodeWords(value: string): string {
  const word = /=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/g;
  let out = "";
  let last = 0;
  let pending: { charset: string; bytes: number[] } | undefined;
  const flush = () => {
    if (pending) out += new TextDecoder(pending.charset).decode(new Uint8Array(pending.bytes));
    pending = undefined;
  };
  for (const m of value.matchAll(word)) {
    const between = value.slice(last, m.index);
    // Adjacent words are joined byte-wise: a multibyte character may be split across two of them.
    if (!(pending && /^\s*$/.test(between))) {
      flush();
      out += between;
    }
    const charset = m[1].toLowerCase().replace(/\*.*$/, "");
    const bytes = m[2].toUpperCase() === "B"
      ? [...Buffer.from(m[3], "base64")]
      : qpBytes(m[3].replace(/_/g, " "));
    if (pending && pending.charset !== charset) flush();
    pending ??= { charset, bytes: [] };
    pending.bytes.push(...bytes);
    last = m.index! + m[0].length;
  }
  flush();
  return out + value.slice(last);
}

function parseEntity(binary: string): MimePart {
  // A part may have no header at all: then its first line is already the empty separator line.
  const split = /^\r?\n/.exec(binary) ?? /\r?\n\r?\n/.exec(binary);
  const head = split ? binary.slice(0, split.index) : binary;
  const rest = split ? binary.slice(split.index + split[0].length) : "";
  const headers = parseHeaders(head);
  const typeHeader = headers.find(([n]) => n === "content-type")?.[1] ?? "text/plain";
  const { value: contentType, params } = parseParams(typeHeader);
  if (contentType.startsWith("multipart/") && params.boundary) {
    return {
      headers,
      contentType,
      params,
      body: new Uint8Array(),
      parts: splitMultipart(rest, params.boundary),
    };
  }
  const encoding = (headers.find(([n]) => n === "content-transfer-encoding")?.[1] ?? "7bit").trim()
    .toLowerCase();
  return { headers, contentType, params, body: decodeBody(rest, encoding), parts: [] };
}

function parseHeaders(head: string): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length) {
      fields[fields.length - 1][1] += line; // unfolding: the line break goes, the whitespace stays
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  // Header bytes are UTF-8 when not encoded words (RFC 6532); re-decode from the latin1 view.
  return fields.map(([n, v]) => [n, Buffer.from(v, "latin1").toString("utf8")]);
}

function parseParams(header: string): { value: string; params: Record<string, string> } {
  const tokens = /;\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  const first = header.split(";")[0].trim().toLowerCase();
  const plain: Record<string, string> = {};
  const continued: Record<string, Array<{ n: number; v: string; enc: boolean }>> = {};
  for (const m of header.matchAll(tokens)) {
    const key = m[1].toLowerCase();
    let v = m[2].trim();
    if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, "$1");
    const cont = /^(.+?)\*(\d+)(\*?)$/.exec(key);
    if (cont) (continued[cont[1]] ??= []).push({ n: Number(cont[2]), v, enc: cont[3] === "*" });
    else if (key.endsWith("*")) plain[key.slice(0, -1)] = decode2231(v, true);
    else plain[key] = v;
  }
  for (const [key, pieces] of Object.entries(continued)) {
    pieces.sort((a, b) => a.n - b.n);
    plain[key] = decode2231(pieces.map((p) => p.v).join(""), pieces[0].enc);
  }
  return { value: first, params: plain };
}

function decode2231(v: string, encoded: boolean): string {
  if (!encoded) return v;
  const m = /^([^']*)'[^']*'(.*)$/.exec(v);
  const charset = m?.[1] || "utf-8";
  const data = m ? m[2] : v;
  const bytes: number[] = [];
  for (let i = 0; i < data.length; i++) {
    if (data[i] === "%" && /^[0-9a-fA-F]{2}$/.test(data.slice(i + 1, i + 3))) {
      bytes.push(parseInt(data.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(data.charCodeAt(i));
  }
  return new TextDecoder(charset).decode(new Uint8Array(bytes));
}

function splitMultipart(body: string, boundary: string): MimePart[] {
  const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const delimiter = new RegExp(`(?:^|\\r?\\n)--${escaped}(--)?[ \\t]*(?:\\r?\\n|$)`, "g");
  const parts: MimePart[] = [];
  let start = -1;
  for (const m of body.matchAll(delimiter)) {
    if (start >= 0) parts.push(parseEntity(body.slice(start, m.index)));
    if (m[1]) return parts; // the close delimiter: the epilogue is ignored
    start = m.index! + m[0].length;
  }
  throw new Error(`multipart without a close delimiter for boundary ${boundary}`);
}

function decodeBody(body: string, encoding: string): Uint8Array {
  if (encoding === "base64") {
    return new Uint8Array(Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ""), "base64"));
  }
  if (encoding === "quoted-printable") return new Uint8Array(qpBytes(body.replace(/=\r?\n/g, "")));
  return new Uint8Array(Buffer.from(body, "latin1"));
}

function qpBytes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const hex = s.slice(i + 1, i + 3);
    if (s[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(s.charCodeAt(i) & 0xff);
  }
  return out;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}
