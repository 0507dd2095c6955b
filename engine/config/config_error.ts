/**
 * Errors in a pipeline file, rendered like a compiler's: `file:line:col: message`, the source line with
 * a caret under the culprit, notes pointing at related places, and a hint saying what to do.
 * @module
 */
import { SluiceError } from "../errors.ts";
import { formatPosition, type Position, type Span } from "./position.ts";

/**
 * The stable codes of configuration errors, one per kind of mistake.
 *
 * @example
 * ```ts
 * import { ConfigErrorCode } from "./config_error.ts";
 * console.log(ConfigErrorCode.UnknownOption); // "E_CONFIG_UNKNOWN_OPTION"
 * ```
 */
export const ConfigErrorCode = {
  File: "E_CONFIG_FILE",
  Yaml: "E_CONFIG_YAML",
  UnknownKey: "E_CONFIG_UNKNOWN_KEY",
  MissingStages: "E_CONFIG_MISSING_STAGES",
  UnknownStage: "E_CONFIG_UNKNOWN_STAGE",
  UnknownOption: "E_CONFIG_UNKNOWN_OPTION",
  MissingOption: "E_CONFIG_MISSING_OPTION",
  WrongType: "E_CONFIG_WRONG_TYPE",
  OutOfRange: "E_CONFIG_OUT_OF_RANGE",
  BadEnum: "E_CONFIG_BAD_ENUM",
  BadPattern: "E_CONFIG_BAD_PATTERN",
  BadValue: "E_CONFIG_BAD_VALUE",
  BadDuration: "E_CONFIG_BAD_DURATION",
  BadSchedule: "E_CONFIG_BAD_SCHEDULE",
  BadState: "E_CONFIG_BAD_STATE",
  UnsetVariable: "E_CONFIG_UNSET_VARIABLE",
  BadVariable: "E_CONFIG_BAD_VARIABLE",
  DuplicateId: "E_CONFIG_DUPLICATE_ID",
  ModuleNotFound: "E_CONFIG_MODULE_NOT_FOUND",
  ModuleExport: "E_CONFIG_MODULE_EXPORT",
  ModuleUnsupported: "E_CONFIG_MODULE_UNSUPPORTED",
  ModuleLoad: "E_CONFIG_MODULE_LOAD",
  TypeMismatch: "E_CONFIG_TYPE_MISMATCH",
  NoSource: "E_CONFIG_NO_SOURCE",
  MisplacedSource: "E_CONFIG_MISPLACED_SOURCE",
  MisplacedSink: "E_CONFIG_MISPLACED_SINK",
  NoEffect: "E_CONFIG_NO_EFFECT",
  BadOption: "E_CONFIG_BAD_OPTION",
  Placement: "E_CONFIG_PLACEMENT",
} as const;

/**
 * A secondary place an error refers to (the other stage of a type mismatch, the first of two duplicate
 * ids), shown under the error with its own snippet.
 *
 * @example
 * ```ts
 * const span = { pos: { file: "x.yaml", line: 9, column: 5 }, length: 10 };
 * const note: ConfigNote = { span, message: "defined here" };
 * ```
 */
export interface ConfigNote {
  /** The related place, underlined in the note's snippet. */
  span: Span;
  /** What the place has to do with the error, e.g. `first defined here`. */
  message: string;
}

/**
 * One mistake in a configuration file. `message` starts with `file:line:col:` so it names the input on
 * its own; `reason` is the bare text; {@linkcode ConfigError.format} adds the source snippet, notes and
 * hint.
 *
 * @example
 * ```ts
 * import { ConfigError } from "./config_error.ts";
 * const e = new ConfigError("E_CONFIG_UNKNOWN_OPTION", "unknown option `concurency` for stage `fetch`",
 *   { pos: { file: "x.yaml", line: 7, column: 5 }, length: 10, lineText: "    concurency: 32" },
 *   { hint: "did you mean `concurrency`?" });
 * console.log(e.format());
 * ```
 */
export class ConfigError extends SluiceError {
  /** Where the mistake starts (1-based). */
  readonly pos: Position;
  /** The stretch of source to underline. */
  readonly span: Span;
  /** The message without the position prefix. */
  readonly reason: string;
  /** Related places (shown after the snippet). */
  readonly notes: readonly ConfigNote[];

  /**
   * Creates one configuration error; the message gets the `file:line:col:` prefix from `span`.
   *
   * @param code one of {@linkcode ConfigErrorCode}
   * @param reason what is wrong, naming the key or value (never a secret's value)
   * @param span where it is
   * @param extra the hint and notes
   */
  constructor(
    code: string,
    reason: string,
    span: Span,
    extra: { hint?: string; notes?: ConfigNote[]; cause?: unknown } = {},
  ) {
    super(code, `${formatPosition(span.pos)}: ${reason}`, extra.hint, { cause: extra.cause });
    this.pos = span.pos;
    this.span = span;
    this.reason = reason;
    this.notes = extra.notes ?? [];
  }

  /**
   * The error as a compiler prints it: header, source line with carets, notes, hint.
   *
   * @example
   * ```ts
   * // pipelines/x.yaml:7:5: unknown option `concurency` for stage `fetch`
   * //    7 |     concurency: 32
   * //      |     ^^^^^^^^^^
   * //   hint: did you mean `concurrency`?
   * ```
   */
  format(): string {
    const lines = [this.message, ...snippet(this.span)];
    for (const note of this.notes) {
      lines.push(`${formatPosition(note.span.pos)}: note: ${note.message}`, ...snippet(note.span));
    }
    if (this.hint) lines.push(`  hint: ${this.hint}`);
    return lines.join("\n");
  }
}

/**
 * Every mistake found in one file, thrown at once so a user fixes them all in one round.
 *
 * @example
 * ```ts
 * import { ConfigErrors } from "./config_error.ts";
 * try {
 *   // await loadPipelineConfig("pipelines/x.yaml", { catalog });
 * } catch (e) {
 *   if (e instanceof ConfigErrors) console.error(e.format());
 * }
 * ```
 */
export class ConfigErrors extends SluiceError {
  /** The individual errors, in the order they appear in the file. */
  readonly errors: readonly ConfigError[];
  /** The file they belong to. */
  readonly file: string;

  /**
   * Collects a file's errors, sorted by line then column; the message renders them all.
   *
   * @param file the configuration file
   * @param errors at least one error
   */
  constructor(file: string, errors: readonly ConfigError[]) {
    const sorted = [...errors].sort((a, b) => a.pos.line - b.pos.line || a.pos.column - b.pos.column);
    super("E_CONFIG", render(file, sorted));
    this.errors = sorted;
    this.file = file;
  }

  /**
   * All errors formatted, separated by blank lines, with a closing count.
   *
   * @example
   * ```ts
   * // console.error(errors.format());
   * ```
   */
  format(): string {
    return this.message;
  }
}

function render(file: string, errors: readonly ConfigError[]): string {
  const count = `${errors.length} error${errors.length === 1 ? "" : "s"} in ${file}`;
  return [...errors.map((e) => e.format()), count].join("\n\n");
}

/** The source line and a caret row under the span; nothing when there is no source to show. */
function snippet(span: Span): string[] {
  if (span.lineText === undefined || span.pos.line <= 0) return [];
  const number = String(span.pos.line);
  const width = Math.max(4, number.length + 1);
  const room = Math.max(1, span.lineText.length - span.pos.column + 1);
  const carets = "^".repeat(Math.max(1, Math.min(span.length, room)));
  // A tab would widen the line on screen but not the caret row: show it as one space so carets align.
  // Credentials in a URL (imap://bob:secret@host) are starred out, keeping their length for the carets.
  const text = span.lineText.replaceAll("\t", " ").replace(
    /(\b[a-z][a-z0-9+.-]*:\/\/)([^/@\s]+)@/gi,
    (_, scheme: string, credentials: string) => `${scheme}${"*".repeat(credentials.length)}@`,
  );
  return [
    `${number.padStart(width)} | ${text}`,
    `${" ".repeat(width)} | ${" ".repeat(span.pos.column - 1)}${carets}`,
  ];
}
