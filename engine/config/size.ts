/**
 * Sizes as people write them in configuration (`128MB`, `512KB`, `1.5GB`, `2GiB`) turned into bytes.
 * @module
 */
import { SluiceError } from "../errors.ts";

// Memory is counted in powers of 1024 whichever way it is written: `128MB` is what `free -m` calls 128.
const UNIT_BYTES: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const SIZE = /^(\d+(?:\.\d+)?|\.\d+)\s*(?:([kmg])(?:i?b)?|(b))?$/i;

/**
 * A size that could not be read, with the text that was given.
 *
 * @example
 * ```ts
 * import { parseSize, SizeError } from "./size.ts";
 * try { parseSize("lots"); } catch (e) { console.log(e instanceof SizeError); } // true
 * ```
 */
export class SizeError extends SluiceError {
  /** The text or number that was not a size. */
  readonly input: string | number;
  /**
   * @param input what was given
   */
  constructor(input: string | number) {
    super(
      "E_CONFIG_BAD_SIZE",
      `not a size: ${JSON.stringify(input)}`,
      "write a number of bytes or a number with a unit: `512KB`, `128MB`, `1.5GB` (powers of 1024)",
    );
    this.input = input;
  }
}

/**
 * Bytes in a size: a positive number is taken as bytes already; a string is a number of bytes (`"4096"`)
 * or a number with a unit `B`, `KB`, `MB`, `GB` (also `K`, `M`, `G`, `KiB`, `MiB`, `GiB`; any case), each a
 * power of 1024. Throws {@linkcode SizeError} for anything else, and for zero.
 *
 * @example
 * ```ts
 * import { parseSize } from "./size.ts";
 * parseSize("128MB"); // 134217728
 * parseSize("1.5g"); // 1610612736
 * parseSize(4096); // 4096
 * ```
 */
export function parseSize(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input <= 0) throw new SizeError(input);
    return Math.round(input);
  }
  const m = SIZE.exec(input.trim());
  if (!m) throw new SizeError(input);
  const bytes = Math.round(Number(m[1]) * UNIT_BYTES[(m[2] ?? "b").toLowerCase()]);
  if (bytes <= 0) throw new SizeError(input);
  return bytes;
}
