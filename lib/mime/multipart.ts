/**
 * The MIME tree of a message: leaf parts (header lines and an encoded body) nested in multiparts,
 * rendered with deterministic boundaries into the message's 7-bit CRLF bytes.
 * @module
 */
import { headerField, headerWithParams } from "./header_encoding.ts";

/** A part with a body: its header fields (already encoded and folded) and its encoded body. */
export interface MimeLeaf {
  /** Header fields, each from `headerField` (no trailing CRLF). */
  headers: string[];
  /** The encoded body (7-bit, CRLF line ends): text, or ASCII bytes (a base64 body). */
  body: string | Uint8Array;
}

/** A multipart: its subtype, extra Content-Type parameters, and its children in order. */
export interface MimeMultipart {
  /** `alternative`, `related`, `mixed`, ... */
  multipart: string;
  /** Content-Type parameters besides the boundary (`type` of a `multipart/related`). */
  params?: Record<string, string>;
  parts: MimeEntity[];
}

/** One entity of the tree. */
export type MimeEntity = MimeLeaf | MimeMultipart;

/**
 * Renders an entity into bytes, headers first: `headers` (the message header when this is the root) go
 * before the entity's own fields. Multipart boundaries are `=_<base>_<n>`, numbered in render order: no
 * quoted-printable or base64 body can contain `=_`, so a boundary never occurs inside a part, and the
 * same tree with the same base renders to the same bytes.
 *
 * The rendering is a list of pieces (header blocks, delimiters, bodies) written one after the other into
 * a buffer of exactly the right size, owned by the array (a worker can transfer it): the message is never
 * one string, a chain of concatenations the encoder would first copy into a flat string. The composer
 * writes 7-bit text; a piece that is not ASCII after all makes the whole message UTF-8.
 *
 * @param entity the tree
 * @param boundaryBase what makes boundaries differ between messages (a content hash)
 * @param headers fields to put first (the message header)
 * @returns the entity, lines joined with CRLF; a multipart ends with its close delimiter and a CRLF
 *
 * @example
 * ```ts
 * import { headerField } from "./header_encoding.ts";
 * import { renderEntityBytes } from "./multipart.ts";
 * const text = { headers: [headerField("Content-Type", "text/plain")], body: "hi" };
 * const bytes = renderEntityBytes({ multipart: "alternative", parts: [text] }, "abc", [headerField("Subject", "x")]);
 * new TextDecoder().decode(bytes);
 * // "Subject: x\r\nContent-Type: multipart/alternative; boundary=\"=_abc_1\"\r\n\r\n--=_abc_1\r\n..."
 * ```
 */
export function renderEntityBytes(
  entity: MimeEntity,
  boundaryBase: string,
  headers: string[] = [],
): Uint8Array {
  const pieces: (string | Uint8Array)[] = [];
  render(entity, boundaryBase, headers, { n: 0 }, pieces);
  let length = 0;
  for (const piece of pieces) length += piece.length;
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    if (typeof piece !== "string") {
      bytes.set(piece, at);
      at += piece.length;
      continue;
    }
    const { read, written } = utf8.encodeInto(piece, at === 0 ? bytes : bytes.subarray(at));
    if (read !== piece.length || written !== piece.length) return utf8Message(pieces);
    at += written;
  }
  return bytes;
}

const utf8 = new TextEncoder();

/** The pieces as UTF-8, for a message that is not 7-bit after all. */
function utf8Message(pieces: (string | Uint8Array)[]): Uint8Array {
  const encoded = pieces.map((piece) => typeof piece === "string" ? utf8.encode(piece) : piece);
  const bytes = new Uint8Array(encoded.reduce((sum, piece) => sum + piece.length, 0));
  let at = 0;
  for (const piece of encoded) {
    bytes.set(piece, at);
    at += piece.length;
  }
  return bytes;
}

/** Appends the entity's rendering to `out`, in pieces (each body one piece of its own). */
function render(
  entity: MimeEntity,
  base: string,
  headers: string[],
  counter: { n: number },
  out: (string | Uint8Array)[],
): void {
  if (!("multipart" in entity)) {
    out.push(`${[...headers, ...entity.headers].join("\r\n")}\r\n\r\n`, entity.body);
    return;
  }
  const boundary = `=_${base}_${++counter.n}`;
  const type = headerWithParams(`multipart/${entity.multipart}`, { ...entity.params, boundary });
  let open = `${[...headers, headerField("Content-Type", type)].join("\r\n")}\r\n\r\n`;
  for (const part of entity.parts) {
    out.push(`${open}--${boundary}\r\n`);
    render(part, base, [], counter, out);
    open = "\r\n";
  }
  out.push(`${open}--${boundary}--\r\n`);
}
