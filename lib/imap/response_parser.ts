/**
 * Turns a framed server response into data: the tag, the status (`OK`/`NO`/`BAD`/`BYE`/`PREAUTH`) with
 * its `[CODE]` and text, or the kind of untagged data (`CAPABILITY`, `LIST`, `5 EXISTS`, `SEARCH`, ...)
 * with its values parsed from IMAP syntax (atoms, quoted strings, literals, NIL, parenthesised lists).
 * @module
 */
import type { ResponseFrame } from "./response_reader.ts";

/**
 * One parsed IMAP value: an atom or string, a literal's bytes, NIL as null, or a parenthesised list.
 *
 * @example
 * ```ts
 * const v: ImapValue = ["\\HasNoChildren", null, "INBOX"];
 * ```
 */
export type ImapValue = string | Uint8Array | null | ImapValue[];

/** The status words of status responses. */
export type ImapStatus = "OK" | "NO" | "BAD" | "BYE" | "PREAUTH";

/**
 * One server response.
 *
 * @example
 * ```ts
 * const r: ImapResponse = { tag: "*", kind: "EXISTS", number: 3, values: [], text: "" };
 * ```
 */
export interface ImapResponse {
  /** `*` for untagged data, `+` for a continuation request, else the tag of the command it completes. */
  tag: string;
  /** Set for status responses (every tagged response, and untagged OK/NO/BAD/BYE/PREAUTH). */
  status?: ImapStatus;
  /** The bracketed response code without brackets, e.g. `APPENDUID 38505 3955` or `TRYCREATE`. */
  code?: string;
  /** Human-readable text (after the code for status responses; the whole rest for continuations). */
  text: string;
  /** Untagged data kind in upper case: `CAPABILITY`, `LIST`, `EXISTS`, `SEARCH`, `FETCH`, ... */
  kind?: string;
  /** The number in `* 5 EXISTS` / `* 3 FETCH (...)`. */
  number?: number;
  /** The values after the kind. */
  values: ImapValue[];
}

const STATUS_WORDS = new Set(["OK", "NO", "BAD", "BYE", "PREAUTH"]);
const STATUS_LINE = /^(\S+) (OK|NO|BAD|BYE|PREAUTH)(?: \[([^\]]*)\])? ?(.*)$/i;

/**
 * Parses one framed response.
 *
 * @param frame a response from `ResponseReader`
 * @returns the response as data
 * @throws {SyntaxError} when the text is not IMAP syntax
 * @example
 * ```ts
 * import { parseResponse } from "./response_parser.ts";
 * const r = parseResponse({ segments: ['* LIST (\\HasNoChildren) "." INBOX'], literals: [] });
 * // r.kind === "LIST", r.values === [["\\HasNoChildren"], ".", "INBOX"]
 * ```
 */
export function parseResponse(frame: ResponseFrame): ImapResponse {
  const first = frame.segments[0];
  if (first.startsWith("+")) return { tag: "+", text: first.slice(2), values: [] };
  const status = frame.segments.length === 1 ? STATUS_LINE.exec(first) : null;
  if (status) {
    return {
      tag: status[1],
      status: status[2].toUpperCase() as ImapStatus,
      code: status[3],
      text: status[4],
      values: [],
    };
  }
  const cursor = new Cursor(frame);
  const tag = cursor.atom();
  const values = cursor.rest();
  let number: number | undefined;
  if (typeof values[0] === "string" && /^\d+$/.test(values[0])) number = Number(values.shift());
  const kind = typeof values[0] === "string" ? values.shift() as string : undefined;
  if (kind !== undefined && STATUS_WORDS.has(kind.toUpperCase())) {
    // A status line split by a literal: rare, keep its text readable.
    return { tag, status: kind.toUpperCase() as ImapStatus, text: frame.segments.join(" "), values };
  }
  return { tag, kind: kind?.toUpperCase(), number, text: frame.segments.join(""), values };
}

/** Walks the segments and literals of a frame, token by token. */
class Cursor {
  #segments: string[];
  #literals: Uint8Array[];
  #seg = 0;
  #pos = 0;

  constructor(frame: ResponseFrame) {
    this.#segments = frame.segments;
    this.#literals = frame.literals;
  }

  get #s(): string {
    return this.#segments[this.#seg];
  }

  /** All values until the end of the response. */
  rest(): ImapValue[] {
    const out: ImapValue[] = [];
    for (;;) {
      this.#skipSpaces();
      if (this.#atEnd()) return out;
      out.push(this.value());
    }
  }

  value(): ImapValue {
    this.#skipSpaces();
    const c = this.#s[this.#pos];
    if (c === "(") return this.#list();
    if (c === '"') return this.#quoted();
    if (c === "{") return this.#literal();
    const a = this.atom();
    return a.toUpperCase() === "NIL" ? null : a;
  }

  /** An atom; `[...]` sections (as in `BODY[HEADER.FIELDS (X)]`) are part of it, spaces included. */
  atom(): string {
    const s = this.#s;
    const start = this.#pos;
    let depth = 0;
    while (this.#pos < s.length) {
      const c = s[this.#pos];
      if (c === "[") depth++;
      else if (c === "]") depth--;
      else if (depth === 0 && (c === " " || c === "(" || c === ")" || c === '"')) break;
      this.#pos++;
    }
    if (this.#pos === start) {
      throw new SyntaxError(`IMAP: expected an atom at '${s.slice(start, start + 20)}'`);
    }
    return s.slice(start, this.#pos);
  }

  #list(): ImapValue[] {
    this.#pos++; // (
    const out: ImapValue[] = [];
    for (;;) {
      this.#skipSpaces();
      if (this.#atEnd()) throw new SyntaxError("IMAP: unclosed list");
      if (this.#s[this.#pos] === ")") {
        this.#pos++;
        return out;
      }
      out.push(this.value());
    }
  }

  #quoted(): string {
    const s = this.#s;
    let out = "";
    for (let i = this.#pos + 1; i < s.length; i++) {
      const c = s[i];
      if (c === "\\") out += s[++i] ?? "";
      else if (c === '"') {
        this.#pos = i + 1;
        return out;
      } else out += c;
    }
    throw new SyntaxError("IMAP: unterminated quoted string");
  }

  #literal(): Uint8Array {
    const s = this.#s;
    if (!/^\{\d+\}$/.test(s.slice(this.#pos)) || this.#seg >= this.#literals.length) {
      throw new SyntaxError(`IMAP: bad literal at '${s.slice(this.#pos, this.#pos + 20)}'`);
    }
    const bytes = this.#literals[this.#seg];
    this.#seg++;
    this.#pos = 0;
    return bytes;
  }

  #skipSpaces(): void {
    while (this.#s[this.#pos] === " ") this.#pos++;
  }

  #atEnd(): boolean {
    return this.#pos >= this.#s.length && this.#seg === this.#segments.length - 1;
  }
}

/**
 * A value as text: strings as they are, literals decoded as UTF-8, NIL as undefined.
 *
 * @example
 * ```ts
 * import { valueText } from "./response_parser.ts";
 * valueText(new TextEncoder().encode("INBOX")); // "INBOX"
 * ```
 */
export function valueText(v: ImapValue | undefined): string | undefined {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return undefined;
}
