/**
 * The MIME tree of a message as strings: leaf parts (header lines and an encoded body) nested in
 * multiparts, rendered with deterministic boundaries into one 7-bit CRLF string, then into bytes.
 * @module
 */
import { headerField, headerWithParams } from "./header_encoding.ts";

/** A part with a body: its header fields (already encoded and folded) and its encoded body. */
export interface MimeLeaf {
  /** Header fields, each from `headerField` (no trailing CRLF). */
  headers: string[];
  /** The encoded body (7-bit, CRLF line ends). */
  body: string;
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
 * Renders an entity, headers first: `headers` (the message header when this is the root) go before the
 * entity's own fields. Multipart boundaries are `=_<base>_<n>`, numbered in render order: no
 * quoted-printable or base64 body can contain `=_`, so a boundary never occurs inside a part, and the
 * same tree with the same base renders to the same string.
 *
 * @param entity the tree
 * @param boundaryBase what makes boundaries differ between messages (a content hash)
 * @param headers fields to put first (the message header)
 * @returns the entity, lines joined with CRLF; a multipart ends with its close delimiter and a CRLF
 *
 * @example
 * ```ts
 * import { headerField } from "./header_encoding.ts";
 * import { renderEntity } from "./multipart.ts";
 * const text = { headers: [headerField("Content-Type", "text/plain")], body: "hi" };
 * renderEntity({ multipart: "alternative", parts: [text] }, "abc", [headerField("Subject", "x")]);
 * // "Subject: x\r\nContent-Type: multipart/alternative; boundary=\"=_abc_1\"\r\n\r\n--=_abc_1\r\n..."
 * ```
 */
export function renderEntity(entity: MimeEntity, boundaryBase: string, headers: string[] = []): string {
  const counter = { n: 0 };
  return render(entity, boundaryBase, headers, counter);
}

/**
 * The bytes of a rendered message. The composer writes 7-bit text, so this is one copy into a buffer of
 * exactly the right size, owned by the array (a worker can transfer it); a string that is not ASCII after
 * all is encoded as UTF-8.
 *
 * @example
 * ```ts
 * import { messageBytes } from "./multipart.ts";
 * messageBytes("Subject: x\r\n\r\nhi\r\n").byteLength; // 18
 * ```
 */
export function messageBytes(message: string): Uint8Array {
  const bytes = new Uint8Array(message.length);
  const { read } = utf8.encodeInto(message, bytes);
  return read === message.length ? bytes : utf8.encode(message);
}

const utf8 = new TextEncoder();

function render(entity: MimeEntity, base: string, headers: string[], counter: { n: number }): string {
  if (!("multipart" in entity)) {
    return `${[...headers, ...entity.headers].join("\r\n")}\r\n\r\n${entity.body}`;
  }
  const boundary = `=_${base}_${++counter.n}`;
  const type = headerWithParams(`multipart/${entity.multipart}`, { ...entity.params, boundary });
  let out = `${[...headers, headerField("Content-Type", type)].join("\r\n")}\r\n\r\n`;
  for (const part of entity.parts) out += `--${boundary}\r\n${render(part, base, [], counter)}\r\n`;
  return `${out}--${boundary}--\r\n`;
}
