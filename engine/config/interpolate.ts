/**
 * `${VAR}` and `${VAR:-default}` in configuration strings, filled from an environment. `$$` writes a
 * literal `$`. Unset variables without a default are reported, never silently emptied.
 * @module
 */

/**
 * The variables a configuration is filled from: a plain object, or a lookup function.
 *
 * @example
 * ```ts
 * const env: Environment = { FEEDS: "https://example.org/feed.xml" };
 * ```
 */
export type Environment =
  | Readonly<Record<string, string | undefined>>
  | ((name: string) => string | undefined);

/**
 * One `${...}` found in a string: where it starts in the string (0-based), how long it is, and the name.
 *
 * @example
 * ```ts
 * const ref: VariableReference = { name: "HOME", index: 0, length: 7, hasDefault: false };
 * ```
 */
export interface VariableReference {
  name: string;
  index: number;
  length: number;
  hasDefault: boolean;
}

/**
 * A `${...}` that cannot be read (unclosed, not a name), with where it starts and why.
 *
 * @example
 * ```ts
 * const bad: MalformedReference = { index: 4, length: 5, problem: "`${1X}` is not a variable name" };
 * ```
 */
export interface MalformedReference {
  index: number;
  length: number;
  problem: string;
}

/**
 * The filled-in string, every reference found, which were unset, which were malformed, and whether the
 * whole string was one reference (then its text came from the environment and may be coerced to the
 * option's type, e.g. `"32"` to `32`).
 *
 * @example
 * ```ts
 * import { interpolate } from "./interpolate.ts";
 * const r: Interpolation = interpolate("${N}", { N: "32" }); // { value: "32", wholeVariable: true, ... }
 * ```
 */
export interface Interpolation {
  value: string;
  references: VariableReference[];
  unset: VariableReference[];
  malformed: MalformedReference[];
  wholeVariable: boolean;
}

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/**
 * Fills `${VAR}` and `${VAR:-default}` (the default also applies when VAR is empty, as in a shell) from
 * `env`, and turns `$$` into `$`. A `$` followed by anything else is kept as written.
 *
 * @example
 * ```ts
 * import { interpolate } from "./interpolate.ts";
 * interpolate("imap://${HOST:-localhost}:143", {}).value; // "imap://localhost:143"
 * interpolate("costs $$5", {}).value; // "costs $5"
 * interpolate("${TOKEN}", {}).unset[0].name; // "TOKEN"
 * ```
 */
export function interpolate(text: string, env: Environment): Interpolation {
  const lookup = typeof env === "function" ? env : (name: string) => env[name];
  const result: Interpolation = { value: "", references: [], unset: [], malformed: [], wholeVariable: false };
  let out = "";
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar < 0 || dollar === text.length - 1) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === "$") {
      out += "$";
      i = dollar + 2;
      continue;
    }
    if (next !== "{") {
      out += "$";
      i = dollar + 1;
      continue;
    }
    const close = text.indexOf("}", dollar + 2);
    if (close < 0) {
      const problem = "`${` is never closed with `}`";
      result.malformed.push({ index: dollar, length: text.length - dollar, problem });
      out += text.slice(dollar);
      break;
    }
    const inner = text.slice(dollar + 2, close);
    const length = close + 1 - dollar;
    const m = REFERENCE.exec(inner);
    if (!m || (m[2] ?? "").includes("${")) {
      const problem = m
        ? "a default cannot contain another `${...}`"
        : `\`\${${inner}}\` is not a variable name (letters, digits and _ only)`;
      result.malformed.push({ index: dollar, length, problem });
      out += text.slice(dollar, close + 1);
      i = close + 1;
      continue;
    }
    const ref: VariableReference = { name: m[1], index: dollar, length, hasDefault: m[2] !== undefined };
    result.references.push(ref);
    const value = lookup(ref.name);
    if (ref.hasDefault) out += value === undefined || value === "" ? m[2] : value;
    else if (value === undefined) result.unset.push(ref);
    else out += value;
    i = close + 1;
  }
  result.value = out;
  result.wholeVariable = result.references.length === 1 && result.references[0].length === text.length;
  return result;
}
