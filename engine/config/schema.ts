/**
 * A tiny language stages use to declare their options (type, default, range, description), and the
 * validator that checks a YAML `with:` block against it: defaults applied, durations turned into
 * milliseconds, values from `${VAR}` coerced to the declared type, and every mistake reported with its
 * position. No dependency beyond sluice itself.
 * @module
 */
import path from "node:path";
import { redactUrl } from "../errors.ts";
import { ConfigError, ConfigErrorCode } from "./config_error.ts";
import { DurationError, parseDuration } from "./duration.ts";
import type { ConfigPath, PathPositions, Span } from "./position.ts";
import { suggest } from "./suggest.ts";

/**
 * The options a stage accepts, by name.
 *
 * @example
 * ```ts
 * const options: OptionSchema = {
 *   concurrency: { type: "integer", default: 8, min: 1, description: "parallel requests" },
 *   timeout: { type: "duration", default: "30s", description: "per request" },
 * };
 * ```
 */
export type OptionSchema = Record<string, OptionSpec>;

/**
 * One option: its type and the rules its value follows. `description` is shown in hints and help.
 * `secret` string options (passwords, tokens) never have their value echoed in an error.
 *
 * @example
 * ```ts
 * const folders: OptionSpec = {
 *   type: "object",
 *   description: "feed URLs by folder",
 *   additional: { type: "string[]", description: "URLs" },
 * };
 * ```
 */
export type OptionSpec =
  | {
    type: "string";
    default?: string;
    required?: boolean;
    description: string;
    enum?: string[];
    pattern?: RegExp | string;
    secret?: boolean;
    /**
     * A file path: written in the pipeline file it is relative to that file's folder (like `use:`);
     * from a whole `${VAR}` (default included) it is relative to the working folder, as on a command
     * line. `-` (stdin/stdout), absolute paths and URLs are kept as they are.
     */
    path?: boolean;
    /**
     * A check the value must pass beyond its pattern (an IMAP URL that parses, a TLS policy): returns
     * what is wrong and the fix, or undefined. The reason must not quote a secret value in full.
     */
    validate?: (value: string) => { reason: string; hint?: string } | undefined;
  }
  | {
    type: "integer" | "number";
    default?: number;
    min?: number;
    max?: number;
    required?: boolean;
    description: string;
  }
  | { type: "boolean"; default?: boolean; description: string; required?: boolean }
  | { type: "duration"; default?: string | number; description: string; required?: boolean }
  | {
    type: "string[]";
    default?: string[];
    description: string;
    required?: boolean;
    /**
     * A command's argv: a lone string is refused rather than taken as a one-item list, since
     * `"jq -c ."` would run a program named `jq -c .` (nothing splits it into arguments).
     */
    argv?: boolean;
  }
  | {
    type: "object";
    description: string;
    required?: boolean;
    properties?: OptionSchema;
    additional?: OptionSpec;
  }
  | { type: "any"; description: string; required?: boolean };

/**
 * How messages name the thing being validated, and key spellings to accept.
 *
 * @example
 * ```ts
 * const ctx: ValidationContext = { subject: "stage `fetch`", aliases: { "on-error": "onError" } };
 * ```
 */
export interface ValidationContext {
  /** Appended to messages: "unknown option `x` for <subject>". */
  subject?: string;
  /** Other spellings of keys, written -> schema name (e.g. `on-error` -> `onError`). */
  aliases?: Readonly<Record<string, string>>;
  /** A hint for an unknown key that resembles no option (e.g. "it belongs under `with:`"). */
  unknownHint?: (key: string) => string | undefined;
  /** Word used for keys in messages; `option` unless told. */
  noun?: string;
  /** The code of an unknown-key error; `E_CONFIG_UNKNOWN_OPTION` unless told. */
  unknownCode?: string;
}

/**
 * The validated options (defaults applied, values coerced) and every error found.
 *
 * @example
 * ```ts
 * import { noPositions } from "./position.ts";
 * import { validateOptions } from "./schema.ts";
 * const r: ValidatedOptions = validateOptions({}, {}, noPositions("x"));
 * ```
 */
export interface ValidatedOptions {
  /** The valid options by schema name, defaults applied (durations in ms); invalid ones are left out. */
  value: Record<string, unknown>;
  /** Every mistake found, in the order checked; empty when the options are valid. */
  errors: ConfigError[];
}

/**
 * Checks `value` (a mapping, or null for "no options") against `schema`. Unknown keys are reported with
 * a "did you mean"; missing options get their default (durations in ms); a string that came whole from
 * one `${VAR}` is coerced to the declared type (`"32"` -> 32, `"true"` -> true, `"a,b"` -> ["a", "b"],
 * and an empty one counts as not given). Every error is collected; invalid options are left out.
 *
 * @example
 * ```ts
 * import { noPositions } from "./position.ts";
 * import { validateOptions } from "./schema.ts";
 * const { value, errors } = validateOptions(
 *   { timeout: { type: "duration", default: "30s", description: "per request" } },
 *   {},
 *   noPositions("stage `fetch`"),
 * );
 * console.log(value.timeout, errors.length); // 30000 0
 * ```
 */
export function validateOptions(
  schema: OptionSchema,
  value: unknown,
  where: PathPositions,
  context: ValidationContext = {},
): ValidatedOptions {
  const errors: ConfigError[] = [];
  const out = new OptionValidator(context, errors, where.path.length).mapping(
    schema,
    undefined,
    value,
    where,
  );
  return { value: out ?? {}, errors };
}

/** Human words for the types, used in "expected ..." messages. */
const TYPE_WORDS: Record<OptionSpec["type"], string> = {
  string: "string",
  integer: "integer",
  number: "number",
  boolean: "boolean",
  duration: "duration",
  "string[]": "list of strings",
  object: "mapping",
  any: "any value",
};

class OptionValidator {
  constructor(
    readonly context: ValidationContext,
    readonly errors: ConfigError[],
    readonly rootDepth: number,
  ) {}

  /** Validates a mapping against named properties and/or one spec for additional keys. */
  mapping(
    properties: OptionSchema | undefined,
    additional: OptionSpec | undefined,
    value: unknown,
    where: PathPositions,
  ): Record<string, unknown> | undefined {
    if (value === null || value === undefined) value = {};
    if (!isRecord(value)) {
      this.#fail(
        ConfigErrorCode.WrongType,
        where,
        `${this.#label(where)}: expected a mapping, got ${describe(value, false)}`,
      );
      return undefined;
    }
    const out: Record<string, unknown> = {};
    const known = properties ?? {};
    const canonical = new Map<string, string>();
    for (const written of Object.keys(value)) {
      const name = Object.hasOwn(known, written) ? written : this.#alias(written, known);
      if (name !== undefined) {
        canonical.set(name, written);
        continue;
      }
      if (additional) {
        const checked = this.option(additional, value[written], where.child(written));
        if (checked !== undefined) out[written] = checked;
      } else if (properties) {
        this.#unknown(written, Object.keys(known), where.child(written));
      } else {
        out[written] = value[written];
      }
    }
    for (const [name, spec] of Object.entries(known)) {
      const written = canonical.get(name) ?? name;
      const checked = this.option(spec, value[written], where.child(written), name);
      if (checked !== undefined) out[name] = checked;
    }
    return out;
  }

  /** Validates one option; `undefined` means absent (after defaults) or invalid (an error is recorded). */
  option(spec: OptionSpec, raw: unknown, where: PathPositions, name?: string): unknown {
    let value = raw;
    const variable = where.fromVariable();
    // `${N:-}` with nothing set means "not given": the default applies.
    const emptyVariable = variable !== undefined && typeof value === "string" && value.trim() === "";
    if (emptyVariable) value = undefined;
    if (value === undefined) {
      if ("default" in spec && spec.default !== undefined) return this.#defaultOf(spec, where);
      if (spec.required && emptyVariable) {
        this.#fail(
          ConfigErrorCode.MissingOption,
          where,
          `${this.#label(where)} is required, but \`\${${variable}}\` is empty`,
          `set ${variable} (${spec.description})`,
        );
      } else if (spec.required) {
        const label = name ?? String(where.path[where.path.length - 1]);
        this.#fail(
          ConfigErrorCode.MissingOption,
          where,
          `missing required ${this.#noun} \`${this.#pathText(where.path.slice(0, -1), label)}\`${this.#for}`,
          `add \`${label}:\` (${spec.description})`,
          where.keySpan(),
        );
      }
      return undefined;
    }
    if (where.fromVariable() && typeof value === "string") value = coerceVariable(spec.type, value);
    switch (spec.type) {
      case "string":
        return this.#string(spec, value, where);
      case "integer":
      case "number":
        return this.#number(spec, value, where);
      case "boolean":
        return this.#boolean(value, where);
      case "duration":
        return this.#duration(value, where);
      case "string[]":
        return this.#strings(value, where, spec.argv === true);
      case "object":
        return this.mapping(spec.properties, spec.additional, value, where);
      case "any":
        return value;
    }
  }

  #string(spec: Extract<OptionSpec, { type: "string" }>, value: unknown, where: PathPositions): unknown {
    const secret = spec.secret === true;
    // YAML types `version: 1.10` as a number; a string option wants the text as written.
    if ((typeof value === "number" || typeof value === "boolean") && where.rawScalar() !== undefined) {
      value = where.rawScalar();
    }
    if (typeof value !== "string") return this.#wrongType(where, "string", value, secret);
    if (spec.enum && !spec.enum.includes(value)) {
      const guess = secret ? undefined : suggest(value, spec.enum);
      return this.#fail(
        ConfigErrorCode.BadEnum,
        where,
        `${this.#label(where)}: expected one of ${spec.enum.join(", ")}, got ${describe(value, secret)}`,
        guess ? `did you mean \`${guess}\`?` : `use one of: ${spec.enum.join(", ")}`,
        secret ? redacted(where.valueSpan()) : undefined,
      );
    }
    if (spec.pattern !== undefined) {
      const pattern = typeof spec.pattern === "string" ? new RegExp(spec.pattern) : spec.pattern;
      if (!pattern.test(value)) {
        return this.#fail(
          ConfigErrorCode.BadPattern,
          where,
          `${this.#label(where)}: ${describe(value, secret)} does not match ${pattern}`,
          spec.description,
          secret ? redacted(where.valueSpan()) : undefined,
        );
      }
    }
    const problem = spec.validate?.(value);
    if (problem) {
      const variable = where.fromVariable();
      return this.#fail(
        ConfigErrorCode.BadValue,
        where,
        `${this.#label(where)}${
          variable === undefined ? "" : ` (from \`\${${variable}}\`)`
        }: ${problem.reason}`,
        variable === undefined ? problem.hint : `fix ${variable}: ${problem.hint ?? spec.description}`,
        secret ? redacted(where.valueSpan()) : undefined,
      );
    }
    if (spec.path && !where.fromVariable()) return relativeToFile(value, where.valueSpan().pos.file);
    return value;
  }

  #number(spec: Extract<OptionSpec, { type: "integer" | "number" }>, value: unknown, where: PathPositions) {
    const ok = typeof value === "number" && Number.isFinite(value) &&
      (spec.type === "number" || Number.isInteger(value));
    if (!ok) return this.#wrongType(where, spec.type, value, false);
    const n = value as number;
    if (spec.min !== undefined && n < spec.min) return this.#range(where, `at least ${spec.min}`, n, spec);
    if (spec.max !== undefined && n > spec.max) return this.#range(where, `at most ${spec.max}`, n, spec);
    return n;
  }

  #boolean(value: unknown, where: PathPositions): unknown {
    if (typeof value === "boolean") return value;
    const yamlOneOne = typeof value === "string" && /^(yes|no|on|off|y|n)$/i.test(value);
    return this.#wrongType(
      where,
      "boolean",
      value,
      false,
      yamlOneOne ? `YAML 1.2 reads \`${value}\` as text: write true or false` : undefined,
    );
  }

  #duration(value: unknown, where: PathPositions): unknown {
    if (typeof value !== "string" && typeof value !== "number") {
      return this.#wrongType(where, "duration", value, false);
    }
    try {
      return parseDuration(value);
    } catch (e) {
      if (!(e instanceof DurationError)) throw e;
      return this.#fail(ConfigErrorCode.BadDuration, where, `${this.#label(where)}: ${e.message}`, e.hint);
    }
  }

  #strings(value: unknown, where: PathPositions, argv: boolean): unknown {
    if (typeof value === "string" && argv) {
      const words = value.trim().split(/\s+/).filter((w) => w !== "");
      return this.#fail(
        ConfigErrorCode.WrongType,
        where,
        `${this.#label(where)}: expected a list (the program, then each argument), got the string ${
          JSON.stringify(value)
        }: it would run as one program name, nothing splits it into arguments`,
        `write it as a list: [${words.map((w) => JSON.stringify(w)).join(", ")}]`,
      );
    }
    if (typeof value === "string") return [value]; // one item written without list brackets
    if (!Array.isArray(value)) return this.#wrongType(where, "string[]", value, false);
    const out: string[] = [];
    value.forEach((item, i) => {
      const at = where.child(i);
      const text = typeof item === "string"
        ? item
        : typeof item === "number" || typeof item === "boolean"
        ? at.rawScalar() ?? String(item)
        : undefined;
      if (text === undefined) this.#wrongType(at, "string", item, false);
      else out.push(text);
    });
    return out.length === value.length ? out : undefined;
  }

  #defaultOf(spec: OptionSpec, where: PathPositions): unknown {
    const value = (spec as { default: unknown }).default;
    if (spec.type === "duration") {
      try {
        return parseDuration(value as string | number);
      } catch (e) {
        // A schema bug, not the user's: name the option so the stage author finds it.
        throw new Error(`default of ${this.#label(where)} is not a duration: ${JSON.stringify(value)}`, {
          cause: e,
        });
      }
    }
    return Array.isArray(value) ? [...value] : value;
  }

  #unknown(key: string, candidates: string[], where: PathPositions): void {
    const aliases = Object.entries(this.context.aliases ?? {}).filter(([, name]) =>
      candidates.includes(name)
    );
    const names = [...candidates, ...aliases.map(([written]) => written)];
    const guess = suggest(key, names);
    // The context knows when a key is right but misplaced (a stage setting under `with:`): say that first.
    const hint = this.context.unknownHint?.(key) ??
      (guess !== undefined
        ? `did you mean \`${guess}\`?`
        : candidates.length
        ? `known ${this.#noun}s: ${candidates.join(", ")}`
        : `${this.context.subject ?? "this"} takes no ${this.#noun}s`);
    this.#fail(
      this.context.unknownCode ?? ConfigErrorCode.UnknownOption,
      where,
      `unknown ${this.#noun} \`${this.#pathText(where.path)}\`${this.#for}`,
      hint,
      where.keySpan(),
    );
  }

  #alias(written: string, known: OptionSchema): string | undefined {
    const name = this.context.aliases?.[written];
    return name !== undefined && Object.hasOwn(known, name) ? name : undefined;
  }

  #wrongType(where: PathPositions, type: OptionSpec["type"], value: unknown, secret: boolean, hint?: string) {
    const variable = where.fromVariable();
    hint ??= variable === undefined
      ? undefined
      : `the value comes from \`\${${variable}}\`: set ${variable} to a valid ${TYPE_WORDS[type]}`;
    return this.#fail(
      ConfigErrorCode.WrongType,
      where,
      `${this.#label(where)}: expected ${TYPE_WORDS[type]}, got ${describe(value, secret)}`,
      hint,
      secret ? redacted(where.valueSpan()) : undefined,
    );
  }

  #range(where: PathPositions, bound: string, n: number, spec: OptionSpec) {
    return this.#fail(
      ConfigErrorCode.OutOfRange,
      where,
      `${this.#label(where)}: expected ${bound}, got ${n}`,
      spec.description,
    );
  }

  #fail(
    code: string,
    where: PathPositions,
    reason: string,
    hint?: string,
    span?: Span,
  ): undefined {
    this.errors.push(new ConfigError(code, reason, span ?? where.valueSpan(), { hint }));
    return undefined;
  }

  get #noun(): string {
    return this.context.noun ?? "option";
  }

  get #for(): string {
    return this.context.subject ? ` for ${this.context.subject}` : "";
  }

  #label(where: PathPositions): string {
    const text = this.#pathText(where.path);
    return text === "" ? `${this.#noun}s${this.#for}` : `${this.#noun} \`${text}\`${this.#for}`;
  }

  /** `retry.attempts`, `folders.News[0]`: the path below the validated root. */
  #pathText(path: ConfigPath, last?: string): string {
    const parts = [...path.slice(this.rootDepth), ...(last === undefined ? [] : [last])];
    return parts.map((p, i) => typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`).join("");
  }
}

/** `value` resolved against the folder of the pipeline file `file`, unless it is `-`, absolute or a URL. */
function relativeToFile(value: string, file: string): string {
  if (value === "-" || value === "" || path.isAbsolute(value) || /^[a-z][a-z0-9+.-]*:/i.test(value)) {
    return value;
  }
  return path.resolve(path.dirname(path.resolve(file)), value);
}

/** Text from the environment becomes the type the option declares, when it reads as one. */
function coerceVariable(type: OptionSpec["type"], text: string): unknown {
  const t = text.trim();
  switch (type) {
    case "integer":
      return /^[-+]?\d+$/.test(t) ? Number(t) : text;
    case "number":
      return t !== "" && Number.isFinite(Number(t)) ? Number(t) : text;
    case "boolean": {
      const lower = t.toLowerCase();
      if (["true", "1", "yes", "on"].includes(lower)) return true;
      if (["false", "0", "no", "off"].includes(lower)) return false;
      return text;
    }
    case "string[]":
      return t.split(/[\s,]+/).filter((s) => s !== "");
    default:
      return text;
  }
}

/** The span with the secret value in its source line replaced by `***`, so the snippet hides it too. */
function redacted(span: Span): Span {
  if (span.lineText === undefined) return span;
  return { ...span, length: 3, lineText: `${span.lineText.slice(0, span.pos.column - 1)}***` };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value as an error shows it; a secret's value is never shown, only its kind. */
function describe(value: unknown, secret: boolean): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (secret) return `a ${typeof value} (value hidden: secret option)`;
  if (typeof value === "string") {
    // A URL option that fails a check may carry a password (imap://bob:secret@...): never echo it.
    const safe = redactUrl(value);
    const shown = safe.length > 60 ? `${safe.slice(0, 57)}...` : safe;
    return JSON.stringify(shown);
  }
  return String(value);
}
