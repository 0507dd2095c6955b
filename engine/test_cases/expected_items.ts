/**
 * How a test case's expected items match the items a pipeline produced: the keys an expected mapping
 * gives must match (others are ignored), bytes compare as UTF-8 text, dates as ISO strings, and a
 * mapping of `headers:` / `contains:` / `matches:` matches a text (an email's header lines, a part of
 * it, a regular expression). Items may arrive in any order (stages work on several at once).
 * @module
 */

/**
 * Where an expected item and an actual one first differ.
 *
 * @example
 * ```ts
 * const m: ItemMismatch = { index: 0, path: ".subject", expected: "Hi", actual: "Hello" };
 * ```
 */
export interface ItemMismatch {
  /** 0-based index of the expected item (or of the extra actual item when there are too many). */
  index: number;
  /** Path inside the item (`.raw.headers.Subject`, `[2]`); "" for the whole item. */
  path: string;
  /** The expected value there (undefined: no item was expected). */
  expected: unknown;
  /** The actual value there, as compared (undefined: the item or key is missing). */
  actual: unknown;
  /** The whole expected item and the actual one, as compared, for a side-by-side diff. */
  items?: { expected: unknown; actual: unknown };
  /** Why they differ, when more than "not equal" (a count, a regular expression). */
  note?: string;
}

/**
 * A value as a test compares and shows it: bytes as UTF-8 text (hex when not text), dates as ISO
 * strings, maps as mappings, sets as lists; functions and symbols dropped.
 *
 * @example
 * ```ts
 * import { comparable } from "./expected_items.ts";
 * comparable({ raw: new TextEncoder().encode("hi"), at: new Date(0) }); // { raw: "hi", at: "1970-01-01T00:00:00.000Z" }
 * ```
 */
export function comparable(value: unknown, depth = 0): unknown {
  if (depth > 32) return "...";
  if (value instanceof Uint8Array) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(value);
    } catch {
      return `<${value.length} bytes: ${
        [...value.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")
      }>`;
    }
  }
  if (value instanceof ArrayBuffer) return comparable(new Uint8Array(value), depth);
  if (value instanceof Date) return isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (value instanceof Map) return comparable(Object.fromEntries(value), depth);
  if (value instanceof Set) return comparable([...value], depth);
  if (value instanceof Error) return { error: value.message };
  if (Array.isArray(value)) return value.map((v) => comparable(v, depth + 1));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === "function" || typeof v === "symbol") continue;
      out[k] = comparable(v, depth + 1);
    }
    return out;
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

/**
 * Compares `actual` items with `expected` ones: the same number, each expected item matched by a
 * different actual item, in any order. Returns the first mismatch, or undefined when all match.
 *
 * @example
 * ```ts
 * import { compareItems } from "./expected_items.ts";
 * compareItems([{ n: 2 }, { n: 1 }], [{ n: 1, extra: true }, { n: 2 }]); // undefined
 * compareItems([{ n: 3 }], [{ n: 1 }])?.path; // ".n"
 * ```
 */
export function compareItems(wanted: unknown[], actual: unknown[]): ItemMismatch | undefined {
  const expected = wanted.map((e) => comparable(e));
  const got = actual.map((a) => comparable(a));
  const unused = new Set(got.keys());
  for (let i = 0; i < expected.length; i++) {
    const found = [...unused].find((j) => firstDifference(expected[i], got[j], "") === undefined);
    if (found !== undefined) {
      unused.delete(found);
      continue;
    }
    // No actual item matches: show the one most likely meant (same position, else the first left over).
    const j = unused.has(i) ? i : [...unused][0];
    if (j === undefined) {
      return {
        index: i,
        path: "",
        expected: expected[i],
        actual: undefined,
        note: `expected ${expected.length} item${expected.length === 1 ? "" : "s"}, got ${actual.length}`,
        items: { expected: expected[i], actual: undefined },
      };
    }
    const diff = firstDifference(expected[i], got[j], "")!;
    return { index: i, ...diff, items: { expected: expected[i], actual: asCompared(expected[i], got[j]) } };
  }
  const extra = [...unused][0];
  if (extra !== undefined) {
    return {
      index: extra,
      path: "",
      expected: undefined,
      actual: got[extra],
      note: `expected ${expected.length} item${expected.length === 1 ? "" : "s"}, got ${actual.length}`,
      items: { expected: undefined, actual: got[extra] },
    };
  }
  return undefined;
}

type Difference = Omit<ItemMismatch, "index" | "items">;

const TEXT_MATCHERS = new Set(["headers", "contains", "matches"]);

/** A mapping of only `headers:`, `contains:` and `matches:` is matched against a text. */
function isTextMatcher(expected: unknown): expected is Record<string, unknown> {
  return isRecord(expected) && Object.keys(expected).length > 0 &&
    Object.keys(expected).every((k) => TEXT_MATCHERS.has(k));
}

function firstDifference(expected: unknown, actual: unknown, path: string): Difference | undefined {
  if (isTextMatcher(expected) && typeof actual === "string") return textDifference(expected, actual, path);
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return { path, expected, actual };
    if (expected.length !== actual.length) {
      return { path, expected, actual, note: `expected ${expected.length} elements, got ${actual.length}` };
    }
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isRecord(expected)) {
    if (!isRecord(actual)) return { path, expected, actual };
    for (const [key, value] of Object.entries(expected)) {
      const d = firstDifference(value, actual[key], `${path}.${key}`);
      if (d) return d;
    }
    return undefined;
  }
  if (expected === null) {
    return actual === null || actual === undefined ? undefined : { path, expected, actual };
  }
  return Object.is(expected, actual) ? undefined : { path, expected, actual };
}

function textDifference(m: Record<string, unknown>, text: string, path: string): Difference | undefined {
  if (m.contains !== undefined && !text.includes(String(m.contains))) {
    return { path: `${path}.contains`, expected: m.contains, actual: text, note: "not found in the text" };
  }
  if (m.matches !== undefined && !new RegExp(String(m.matches)).test(text)) {
    return {
      path: `${path}.matches`,
      expected: m.matches,
      actual: text,
      note: "the expression does not match",
    };
  }
  if (isRecord(m.headers)) {
    const headers = headersOf(text);
    for (const [name, want] of Object.entries(m.headers)) {
      const got = headers[name.toLowerCase()];
      const d = firstDifference(want, got, `${path}.headers.${name}`);
      if (d) return d;
    }
  }
  return undefined;
}

/**
 * The header fields of a message (an email, an HTTP message): lower-cased names, folded lines joined,
 * a repeated field's values joined with `, `.
 *
 * @example
 * ```ts
 * import { headersOf } from "./expected_items.ts";
 * headersOf("Subject: Hi\r\n there\r\nTo: a@b\r\n\r\nbody"); // { subject: "Hi there", to: "a@b" }
 * ```
 */
export function headersOf(text: string): Record<string, string> {
  const end = text.search(/\r?\n\r?\n/);
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  const out: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  return out;
}

/**
 * The actual item shaped like the expected one, for the diff: only the keys the expected item gives,
 * and a text compared by `headers:` shown as its headers.
 */
function asCompared(expected: unknown, actual: unknown): unknown {
  if (isTextMatcher(expected) && typeof actual === "string") {
    const out: Record<string, unknown> = {};
    if (isRecord(expected.headers)) {
      const headers = headersOf(actual);
      out.headers = Object.fromEntries(
        Object.keys(expected.headers).map((name) => [name, headers[name.toLowerCase()]]),
      );
    }
    if (expected.contains !== undefined || expected.matches !== undefined) out.text = actual;
    return out;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    return actual.map((a, i) => (i < expected.length ? asCompared(expected[i], a) : a));
  }
  if (isRecord(expected) && isRecord(actual)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(expected)) {
      if (Object.hasOwn(actual, key)) out[key] = asCompared(expected[key], actual[key]);
    }
    return out;
  }
  return actual;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
