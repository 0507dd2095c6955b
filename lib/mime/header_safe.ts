/**
 * The rule that makes a string a safe header value, in a module of its own: the `mime` stage applies it
 * without loading the MIME writer.
 * @module
 */

/**
 * Makes a string safe as a header value: control characters (CR and LF included, so no header can be
 * injected) become spaces, runs of spaces collapse, the ends are trimmed.
 *
 * @example
 * ```ts
 * import { headerSafe } from "./header_safe.ts";
 * headerSafe("Hello\r\nBcc: x@y"); // "Hello Bcc: x@y"
 * ```
 */
export function headerSafe(value: string): string {
  // deno-lint-ignore no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ").replace(/\s{2,}/g, " ").trim();
}
