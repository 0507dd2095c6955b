/**
 * IMAP's modified UTF-7 for mailbox names (RFC 3501 5.1.3): printable ASCII stays as it is (`&` becomes
 * `&-`), anything else is UTF-16 in base64 with `,` for `/`, between `&` and `-`. Servers without
 * UTF8=ACCEPT only understand names in this form.
 * @module
 */

/**
 * Encodes a mailbox name for the wire.
 *
 * @example
 * ```ts
 * import { encodeMailboxName } from "./mailbox_name.ts";
 * encodeMailboxName("Nachrichten/Übersicht"); // "Nachrichten/&ANw-bersicht"
 * ```
 */
export function encodeMailboxName(name: string): string {
  let out = "";
  let pending: number[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const bytes = new Uint8Array(pending.length * 2);
    pending.forEach((u, i) => {
      bytes[2 * i] = u >> 8;
      bytes[2 * i + 1] = u & 0xff;
    });
    out += "&" + btoa(String.fromCharCode(...bytes)).replace(/=+$/, "").replaceAll("/", ",") + "-";
    pending = [];
  };
  for (let i = 0; i < name.length; i++) {
    const u = name.charCodeAt(i);
    if (u >= 0x20 && u <= 0x7e) {
      flush();
      out += u === 0x26 ? "&-" : name[i];
    } else pending.push(u);
  }
  flush();
  return out;
}

/**
 * Decodes a mailbox name as the server lists it.
 *
 * @example
 * ```ts
 * import { decodeMailboxName } from "./mailbox_name.ts";
 * decodeMailboxName("Nachrichten/&ANw-bersicht"); // "Nachrichten/Übersicht"
 * ```
 */
export function decodeMailboxName(wire: string): string {
  return wire.replace(/&([^-]*)-/g, (_, b64: string) => {
    if (b64 === "") return "&";
    const bin = atob(b64.replaceAll(",", "/") + "===".slice((b64.length + 3) % 4));
    let s = "";
    for (let i = 0; i + 1 < bin.length; i += 2) {
      s += String.fromCharCode((bin.charCodeAt(i) << 8) | bin.charCodeAt(i + 1));
    }
    return s;
  });
}
