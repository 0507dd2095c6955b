/**
 * How the command of a `process` stage fails: it could not start or exited unsuccessfully
 * ({@linkcode ProcessStageError}), an item or output line had no line form ({@linkcode ProcessStreamFormatError}),
 * or it printed no line for one item ({@linkcode ProcessItemError}).
 * @module
 */
import { SluiceError } from "../errors.ts";

/**
 * The command of a `process` stage could not start or exited unsuccessfully.
 *
 * @example
 * ```ts
 * import { ProcessStageError } from "./process_errors.ts";
 * const e = new ProcessStageError(["sh", "-c", "exit 3"], 3, null, ["boom"]);
 * console.log(e.message); // "command sh -c 'exit 3' exited with code 3: boom"
 * ```
 */
export class ProcessStageError extends SluiceError {
  /** The command as given. */
  readonly command: string[];
  /** The exit code, `null` when a signal ended it. */
  readonly exitCode: number | null;
  /** The signal that ended it, if any. */
  readonly signal: string | null;
  /** The last lines the command wrote to stderr. */
  readonly stderrTail: string[];

  /**
   * Creates the error with code `E_PROCESS_STAGE`; the message says how the command ended and quotes its
   * stderr tail.
   *
   * @param command the command as given
   * @param exitCode its exit code (`null` when killed by a signal)
   * @param signal the signal that ended it
   * @param stderrTail its last stderr lines
   * @param startError why it could not be started at all (spawn failed), if that is what happened
   */
  constructor(
    command: string[],
    exitCode: number | null,
    signal: string | null,
    stderrTail: string[],
    startError?: string,
  ) {
    const notFound = exitCode === 127;
    const how = startError !== undefined
      ? `could not start (${startError})`
      : notFound
      ? "could not start (exit code 127: command not found)"
      : exitCode !== null
      ? `exited with code ${exitCode}`
      : `was killed by ${signal}`;
    const tail = stderrTail.length ? `: ${stderrTail.join(" | ")}` : "";
    super(
      "E_PROCESS_STAGE",
      `command ${showCommand(command)} ${how}${tail}`,
      startError !== undefined
        ? "check that the working directory exists and that bash is installed (zx runs commands through it)"
        : notFound
        ? "check that the program is installed and on PATH (or give its absolute path)"
        : "run the command by hand with the same input to see why it fails",
    );
    this.command = command;
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderrTail = stderrTail;
  }
}

/**
 * An item could not be written as one line, or an output line of a `jsonl` command is not JSON.
 *
 * @example
 * ```ts
 * import { ProcessStreamFormatError } from "./process_errors.ts";
 * const e = new ProcessStreamFormatError("output line 3 of command jq is not JSON", "make it print JSON");
 * console.log(e.code); // "E_PROCESS_FORMAT"
 * ```
 */
export class ProcessStreamFormatError extends SluiceError {
  /**
   * Creates the error with code `E_PROCESS_FORMAT`.
   *
   * @param message what is wrong, naming the command and line
   * @param hint what to do
   */
  constructor(message: string, hint: string) {
    super("E_PROCESS_FORMAT", message, hint);
  }
}

/**
 * A command of a `process` stage printed no line for one item (it ended with status 0, so the other items
 * went on): the item fails on its own, with what the command said about it on stderr.
 *
 * @example
 * ```ts
 * import { ProcessItemError } from "./process_errors.ts";
 * const e = new ProcessItemError(["jq", "-c", "."], 2, ["jq: error (at <stdin>:2): bad"]);
 * console.log(e.message); // "command jq -c . printed no line for item 2: jq: error (at <stdin>:2): bad"
 * ```
 */
export class ProcessItemError extends SluiceError {
  /** The command's stderr lines about the item (empty when it said nothing). */
  readonly stderr: string[];

  /**
   * Creates the error with code `E_PROCESS_ITEM`.
   *
   * @param command the command as given
   * @param index the item's place in the stream, from 1
   * @param stderr its stderr lines about the item
   * @param how `ended`: how the command had ended before the item came (`status 0`, `exit code 5`);
   *   `exit`: the failing status it ended with after skipping the item
   */
  constructor(
    command: string[],
    index: number,
    stderr: string[],
    how: { ended?: string; exit?: string } = {},
  ) {
    const exit = how.exit ? ` (it ended with ${how.exit})` : "";
    super(
      "E_PROCESS_ITEM",
      how.ended
        ? `command ${showCommand(command)} had ended (${how.ended}) before item ${index} came`
        : `command ${showCommand(command)} printed no line for item ${index}${exit}` +
          (stderr.length ? `: ${stderr.join(" | ")}` : " and said nothing about it on stderr"),
      "fix the item or the command (it must print one line per item and read its whole input); " +
        "`on-error: drop` or `dead-letter` lets the run go on past such items",
    );
    this.stderr = stderr;
  }
}

/**
 * The command as a shell would show it, for messages.
 *
 * @example
 * ```ts
 * console.log(showCommand(["sh", "-c", "exit 3"])); // sh -c 'exit 3'
 * ```
 */
export function showCommand(command: string[]): string {
  return command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(" ");
}
