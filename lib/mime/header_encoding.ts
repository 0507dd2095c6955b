/**
 * Header fields of a composed message, 7-bit clean: RFC 2047 encoded words for non-ASCII text, quoted
 * display names, RFC 2231 (or quoted) parameters, lines folded at whitespace to 76 characters. The
 * encoding itself is nodemailer's synchronous `mime-funcs` and `addressparser`; what is here is the choice
 * nodemailer's `MimeNode` makes for each kind of header (ported because those methods are private and
 * live on the streaming class), so headers read as they did when nodemailer composed the whole message.
 * @module
 */
import {
  buildHeaderValue,
  encodeWord,
  encodeWords,
  foldLines,
  parseHeaderValue,
  quoteString,
} from "npm:nodemailer@^10.6.1/lib/mime-funcs";
import addressparser from "npm:nodemailer@^10.6.1/lib/addressparser";
import { domainToASCII } from "node:url";

/** Longest encoded word text nodemailer aims for (a word then fits a 76-character line). */
const WORD_LENGTH = 52;
/** RFC 5322's hard limit for a line, CRLF excluded. */
const MAX_LINE = 998;

/**
 * One header field, `Name: value`, folded at whitespace into lines of at most 76 characters where the
 * value allows it (a single long word stays whole), lines joined with CRLF and no CRLF at the end.
 * The value must already be encoded (see {@link encodeUnstructured}).
 *
 * @param name field name, e.g. `Subject`
 * @param value encoded value
 * @returns the folded field
 *
 * @example
 * ```ts
 * import { headerField } from "./header_encoding.ts";
 * headerField("To", "me@example.org"); // "To: me@example.org"
 * ```
 */
export function headerField(name: string, value: string): string {
  return foldLines(`${name}: ${value}`, 76);
}

/**
 * Encodes an unstructured value (Subject, `X-` fields, Date text): unchanged when it is printable ASCII,
 * otherwise the whole value as UTF-8 encoded words (Q or B, whichever is shorter for the text), as
 * nodemailer does. A word too long for one line (over 998 characters once folded, an opaque id say) is
 * also cut into encoded words, which decoders join back without a space.
 *
 * @param value header text without CR or LF
 * @returns the value to put after `Name: `
 *
 * @example
 * ```ts
 * import { encodeUnstructured } from "./header_encoding.ts";
 * encodeUnstructured("Hello"); // "Hello"
 * encodeUnstructured("Café"); // "=?UTF-8?Q?Caf=C3=A9?="
 * ```
 */
export function encodeUnstructured(value: string): string {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(value) || hasUnfoldableWord(value)) {
    return encodeWord(value, wordEncoding(value), WORD_LENGTH);
  }
  return encodeWords(value, wordEncoding(value), WORD_LENGTH, true);
}

/**
 * Encodes a display name: as it is when it is letters, digits, `_` and spaces; a quoted-string when it is
 * other printable ASCII; UTF-8 encoded words otherwise.
 *
 * @example
 * ```ts
 * import { encodeDisplayName } from "./header_encoding.ts";
 * encodeDisplayName("Example Blog"); // "Example Blog"
 * encodeDisplayName("example.org"); // "\"example.org\""
 * encodeDisplayName("Zürich"); // "=?UTF-8?Q?Z=C3=BCrich?="
 * ```
 */
export function encodeDisplayName(name: string): string {
  if (/^[\w ]*$/.test(name)) return name;
  if (/^[\x20-\x7e]*$/.test(name)) return quoteString(name);
  return encodeWord(name, wordEncoding(name), WORD_LENGTH);
}

/**
 * One mailbox: `Name <address>`, or the bare address without a name (in angle brackets when it holds a
 * special character). The address is normalised as nodemailer does: control characters and angle
 * brackets removed, an internationalised domain written as punycode (when the local part is ASCII), a
 * local part that is not a dot-atom quoted.
 *
 * @example
 * ```ts
 * import { formatMailbox } from "./header_encoding.ts";
 * formatMailbox("feed@sluice.invalid", "Café"); // "=?UTF-8?Q?Caf=C3=A9?= <feed@sluice.invalid>"
 * formatMailbox("me@jõgeva.ee"); // "me@xn--jgeva-dua.ee"
 * ```
 */
export function formatMailbox(address: string, name = ""): string {
  const normalized = normalizeAddress(address);
  if (name) return `${encodeDisplayName(name)} <${normalized}>`;
  return PLAIN_ADDRESS.test(normalized) ? normalized : `<${normalized}>`;
}

/**
 * An address list as a user writes it (`me@example.org`, `Me <me@example.org>, you@example.org`; groups
 * are flattened), each mailbox formatted by {@link formatMailbox}, joined with `, `.
 *
 * @example
 * ```ts
 * import { formatAddressList } from "./header_encoding.ts";
 * formatAddressList("Jörg <j@example.org>, k@example.org"); // "=?UTF-8?Q?J=C3=B6rg?= <j@example.org>, k@example.org"
 * ```
 */
export function formatAddressList(list: string): string {
  // Every message of a run has the same recipient: parse it once.
  if (list !== lastList.input) {
    const output = addressparser(list, { flatten: true })
      .filter((a) => a.address)
      .map((a) => formatMailbox(a.address ?? "", a.name))
      .join(", ");
    lastList = { input: list, output };
  }
  return lastList.output;
}
let lastList = { input: "", output: "" };

/**
 * A Content-Type value with its parameters: each parameter as a token, a quoted-string, or RFC 2231
 * continuations (`name*0*=utf-8''...`) when it is not ASCII or too long for one line.
 *
 * @param value `type/subtype` or a disposition (`inline`)
 * @param params parameter names and values, in order
 *
 * @example
 * ```ts
 * import { headerWithParams } from "./header_encoding.ts";
 * headerWithParams("text/html", { charset: "utf-8" }); // "text/html; charset=utf-8"
 * headerWithParams("inline", { filename: "für.png" }); // "inline; filename*0*=utf-8''f%C3%BCr.png"
 * ```
 */
export function headerWithParams(value: string, params: Record<string, string>): string {
  return buildHeaderValue({ value, params });
}

/**
 * The Content-Type of an attachment: its media type (parameters it carried are dropped, control
 * characters removed) and a `name` parameter holding the filename. `name` is written as nodemailer
 * writes it for the mail clients that read no RFC 2231 there: as it is when a token, quoted when it holds
 * specials, encoded words in quotes when not ASCII. (`Content-Disposition`'s `filename`, from
 * {@link headerWithParams}, carries the RFC 2231 form.)
 *
 * @example
 * ```ts
 * import { attachmentContentType } from "./header_encoding.ts";
 * attachmentContentType("image/png", "a.png"); // "image/png; name=a.png"
 * attachmentContentType("image/png", "für dich.png"); // 'image/png; name="=?UTF-8?Q?f=C3=BCr_dich=2Epng?="'
 * ```
 */
export function attachmentContentType(mediaType: string, filename: string): string {
  // deno-lint-ignore no-control-regex
  const type = parseHeaderValue(mediaType).value.replace(/[\x00-\x1f\x7f]/g, "");
  let name = encodeWords(filename, wordEncoding(filename), WORD_LENGTH, true);
  if (name !== filename || /[\s'"\\;:/=(),<>@[\]?]|^-/.test(name)) name = JSON.stringify(name);
  return `${buildHeaderValue({ value: type, params: {} })}; name=${name}`;
}

/**
 * `Q` or `B` for an encoded word: Q when Latin letters outnumber other characters (it keeps them
 * readable), B otherwise (shorter for non-Latin scripts). nodemailer's `MimeNode` rule.
 *
 * @example
 * ```ts
 * import { wordEncoding } from "./header_encoding.ts";
 * wordEncoding("Café"); // "Q"
 * wordEncoding("日本語"); // "B"
 * ```
 */
export function wordEncoding(value: string): "Q" | "B" {
  let other = 0;
  let latin = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80 || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d)) other++;
    else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) latin++;
  }
  return other < latin ? "Q" : "B";
}

/** An address with no special anywhere can be written bare (nodemailer's `PLAIN_ADDRESS`). */
const PLAIN_ADDRESS = /^[^\s"(),:;<>@[\\\]]+@[^\s"(),:;<>@[\\\]]+$/;
const ATEXT = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~\\x80-\\uFFFF]";
const DOT_ATOM = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*$`);
const QUOTED_STRING = /^"(?:[^"\\]|\\[\s\S])*"$/;

function normalizeAddress(address: string): string {
  // deno-lint-ignore no-control-regex
  const clean = address.replace(/[\x00-\x1F\x7F<>]+/g, " ").trim();
  const at = clean.lastIndexOf("@");
  if (at < 0) return localPart(clean);
  const user = clean.slice(0, at);
  const domain = clean.slice(at + 1);
  // A non-ASCII local part needs SMTPUTF8 anyway, so the domain stays as written then.
  const ascii = /[^\x20-\x7e]/.test(domain) && !/[^\x20-\x7e]/.test(user) ? domainToASCII(domain) : "";
  return `${localPart(user)}@${ascii || domain}`;
}

function localPart(user: string): string {
  return DOT_ATOM.test(user) || QUOTED_STRING.test(user) ? user : quoteString(user);
}

/** Whether some word of the value would leave a folded line over {@link MAX_LINE} characters. */
function hasUnfoldableWord(value: string): boolean {
  if (value.length < MAX_LINE - 40) return false;
  return value.split(/\s+/).some((word) => word.length > MAX_LINE - 40);
}
