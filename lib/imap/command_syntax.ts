/**
 * How arguments are written in IMAP commands: atoms when safe, quoted strings when ASCII, literals
 * otherwise (a password with `"` or non-ASCII, a message), mailbox names in modified UTF-7, flag lists
 * and the INTERNALDATE format of APPEND.
 * @module
 */
import { encodeMailboxName } from "./mailbox_name.ts";

/**
 * Bytes sent as an IMAP literal (`{n}` or, with LITERAL+, `{n+}`, then the bytes).
 *
 * @example
 * ```ts
 * const l: Literal = { literal: new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n") };
 * ```
 */
export interface Literal {
  literal: Uint8Array;
}

/**
 * A line sent only after the server asks for it with `+` (SASL responses).
 *
 * @example
 * ```ts
 * const c: ContinuationLine = { afterContinuation: "AGJvYgBzZWNyZXQ=" };
 * ```
 */
export interface ContinuationLine {
  afterContinuation: string;
}

/**
 * One piece of a command: text as it is, a literal, or a line sent after a continuation request.
 *
 * @example
 * ```ts
 * const parts: CommandPart[] = ["LOGIN ", "bob", " ", { literal: new TextEncoder().encode("pa\"ss") }];
 * ```
 */
export type CommandPart = string | Literal | ContinuationLine;

const ATOM_SAFE = /^[!#$&'+,\-./0-9:;<=>?@A-Z^_`a-z|}~]+$/;
const QUOTABLE = /^[\x20-\x7e]*$/;
const encoder = new TextEncoder();

/**
 * An astring argument: an atom when it is safe, else a quoted string, else a literal (8-bit, CR, LF).
 *
 * @example
 * ```ts
 * import { astring } from "./command_syntax.ts";
 * astring("bob"); // "bob"
 * astring('pa"ss'); // '"pa\\"ss"'
 * ```
 */
export function astring(s: string): string | Literal {
  if (ATOM_SAFE.test(s)) return s;
  if (QUOTABLE.test(s)) return quoted(s);
  return { literal: encoder.encode(s) };
}

/**
 * A quoted string; the caller makes sure `s` is 7-bit without CR/LF (else use {@linkcode astring}).
 *
 * @example
 * ```ts
 * import { quoted } from "./command_syntax.ts";
 * quoted("a b"); // '"a b"'
 * ```
 */
export function quoted(s: string): string {
  return `"${s.replace(/[\\"]/g, "\\$&")}"`;
}

/**
 * A mailbox argument: the name in modified UTF-7, quoted when needed (never a literal: the encoding is ASCII).
 *
 * @example
 * ```ts
 * import { mailboxArg } from "./command_syntax.ts";
 * mailboxArg("Tech News"); // '"Tech News"'
 * ```
 */
export function mailboxArg(name: string): string {
  const wire = encodeMailboxName(name);
  return ATOM_SAFE.test(wire) ? wire : quoted(wire);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * A date in APPEND's INTERNALDATE format, in UTC: `"dd-Mon-yyyy hh:mm:ss +0000"` (quotes included).
 * Throws a RangeError for an invalid date or a year outside 1000-9999.
 *
 * @example
 * ```ts
 * import { internalDate } from "./command_syntax.ts";
 * internalDate(new Date("2024-03-05T07:08:09Z")); // '"05-Mar-2024 07:08:09 +0000"'
 * ```
 */
export function internalDate(d: Date): string {
  const year = d.getUTCFullYear();
  // The format has four digits; a malformed date makes servers reject APPEND with BAD.
  if (!(year >= 1000 && year <= 9999)) throw new RangeError(`not an IMAP internal date: ${String(d)}`);
  const p = (n: number) => String(n).padStart(2, "0");
  return `"${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000"`;
}

/**
 * A parenthesised flag list such as `(\Seen \Flagged)`.
 *
 * @example
 * ```ts
 * import { flagList } from "./command_syntax.ts";
 * flagList(["\\Seen"]); // "(\\Seen)"
 * ```
 */
export function flagList(flags: readonly string[]): string {
  for (const f of flags) {
    if (!/^\\?[!#$&'+,\-./0-9:;<=>?@A-Z^_`a-z|}~]+$/.test(f)) throw new RangeError(`not an IMAP flag: ${f}`);
  }
  return `(${flags.join(" ")})`;
}
