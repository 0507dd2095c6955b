/**
 * Durations as people write them in configuration (`150ms`, `30s`, `1m30s`, `2h`) turned into
 * milliseconds.
 * @module
 */
import { SluiceError } from "../errors.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y;

/**
 * A duration that could not be read, with the text that was given.
 *
 * @example
 * ```ts
 * import { DurationError, parseDuration } from "./duration.ts";
 * try { parseDuration("5 minutes"); } catch (e) { console.log(e instanceof DurationError); } // true
 * ```
 */
export class DurationError extends SluiceError {
  /** The text or number that was not a duration. */
  readonly input: string | number;
  /**
   * @param input what was given
   */
  constructor(input: string | number) {
    super(
      "E_CONFIG_BAD_DURATION",
      `not a duration: ${JSON.stringify(input)}`,
      "write a number of milliseconds or units like `150ms`, `30s`, `2m`, `1m30s`, `1h`",
    );
    this.input = input;
  }
}

/**
 * Milliseconds in a duration: a non-negative number is taken as milliseconds already; a string is a
 * number of milliseconds (`"250"`) or a sequence of amounts with units `ms`, `s`, `m`, `h`, `d`
 * (`"1m30s"`, `"1.5s"`). Throws {@linkcode DurationError} for anything else.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * parseDuration("150ms"); // 150
 * parseDuration("1m30s"); // 90000
 * parseDuration(100); // 100
 * ```
 */
export function parseDuration(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) throw new DurationError(input);
    return input;
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  let total = 0;
  let at = 0;
  while (at < text.length) {
    PART.lastIndex = at;
    const m = PART.exec(text);
    if (!m) throw new DurationError(input);
    total += Number(m[1]) * UNIT_MS[m[2]];
    at = PART.lastIndex;
  }
  if (text.length === 0) throw new DurationError(input);
  return Math.round(total * 1000) / 1000;
}
