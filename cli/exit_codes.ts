/**
 * The exit codes of `cli.ts`, documented in `--help` and the README.
 * @module
 */

/**
 * What the process's exit status means.
 *
 * @example
 * ```ts
 * import { EXIT } from "./exit_codes.ts";
 * console.log(EXIT.CONFIG); // 1
 * ```
 */
export const EXIT = {
  /** Everything delivered (or, for `check`, the file is valid). */
  OK: 0,
  /** The pipeline file is invalid (every error is listed). */
  CONFIG: 1,
  /** The run finished, but some items failed (named in the summary). */
  ITEMS_FAILED: 2,
  /** The run stopped on an error (a stage with `on-error: fail`, the mailbox unreachable...). */
  RUN_FAILED: 3,
  /**
   * Nothing was tried: every feed is backing off after failures (the summary says when the first is due
   * again). Not a success: a monitor should notice a list of feeds that all fail.
   */
  NOTHING_TRIED: 4,
  /**
   * Another run holds the state's lease (its pid, host and start are in the message); nothing was read
   * or sent. `--wait-lock DURATION` waits for it instead. (75 is EX_TEMPFAIL: try again later.)
   */
  STATE_IN_USE: 75,
  /** Stopped by SIGINT/SIGTERM (in-flight items were drained first). */
  INTERRUPTED: 130,
  /** The command line is wrong. */
  USAGE: 64,
} as const;
