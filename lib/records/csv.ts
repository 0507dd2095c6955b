/**
 * CSV (RFC 4180): a streaming parser that takes text in chunks of any size (quoted fields may hold
 * commas, quotes and newlines, and may span chunks) and the encoding of one row.
 * @module
 */

/**
 * Turns text chunks into rows of fields. Feed it with `push`, then `end` for the last row.
 *
 * @example
 * ```ts
 * import { CsvParser } from "./csv.ts";
 * const p = new CsvParser();
 * const rows = [...p.push('a,"b,c"\n1,"say ""hi"""\n'), ...p.end()];
 * console.log(rows); // [["a", "b,c"], ["1", 'say "hi"']]
 * ```
 */
export class CsvParser {
  #field = "";
  #row: string[] = [];
  #quoted = false;
  #quoteSeen = false;
  #any = false;

  /** The rows completed by `text` (a row ends at an unquoted newline; `\r\n` counts as one). */
  *push(text: string): Generator<string[]> {
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (this.#quoted) {
        if (c === '"') {
          this.#quoted = false;
          this.#quoteSeen = true;
        } else this.#field += c;
        continue;
      }
      if (c === '"') {
        // `""` inside a quoted field is one quote; a quote opening a field starts quoting.
        if (this.#quoteSeen) this.#field += '"';
        this.#quoted = true;
        this.#quoteSeen = false;
        this.#any = true;
      } else if (c === ",") {
        this.#endField();
        this.#any = true;
      } else if (c === "\n") {
        const row = this.#endRow();
        if (row) yield row;
      } else if (c !== "\r") {
        this.#field += c;
        this.#quoteSeen = false;
        this.#any = true;
      }
    }
  }

  /** The last row, when the text did not end with a newline. */
  *end(): Generator<string[]> {
    const row = this.#endRow();
    if (row) yield row;
  }

  #endField(): void {
    this.#row.push(this.#field);
    this.#field = "";
    this.#quoteSeen = false;
  }

  #endRow(): string[] | undefined {
    if (!this.#any && this.#field === "" && this.#row.length === 0) return undefined; // blank line
    this.#endField();
    const row = this.#row;
    this.#row = [];
    this.#any = false;
    return row;
  }
}

/**
 * One CSV row: fields holding a comma, quote or newline are quoted, quotes doubled. `null` and
 * `undefined` become empty fields; objects become JSON.
 *
 * @example
 * ```ts
 * import { csvRow } from "./csv.ts";
 * csvRow(["a", 'say "hi"', 3, null]); // 'a,"say ""hi""",3,'
 * ```
 */
export function csvRow(values: readonly unknown[]): string {
  return values.map((v) => {
    const text = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  }).join(",");
}
