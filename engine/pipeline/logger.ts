/**
 * The run's logger: one method, levels, structured fields. The CLI supplies text or JSON-lines loggers;
 * the default writes text to stderr.
 * @module
 */

import { redactUrlsIn } from "../errors.ts";

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * Where a run's log lines go.
 *
 * @example
 * ```ts
 * const logger: Logger = { log: (level, message) => console.error(level, message) };
 * ```
 */
export interface Logger {
  /** Writes one line at `level`; `fields` are structured key/values (item, stage...). */
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * A logger writing `level message key=value` lines to stderr at or above `min`.
 *
 * @example
 * ```ts
 * const logger = textLogger("warn");
 * logger.log("info", "not shown");
 * ```
 */
export function textLogger(
  min: LogLevel = "info",
  write: (line: string) => void = (l) => console.error(l),
): Logger {
  return {
    log(level, message, fields) {
      if (RANK[level] < RANK[min]) return;
      const extra = fields
        ? Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) =>
          ` ${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
        ).join("")
        : "";
      // A message may quote a URL from elsewhere (a runtime's error, a field): no credentials in a log.
      write(redactUrlsIn(`${level === "info" ? "" : level + ": "}${message}${extra}`));
    },
  };
}

/**
 * A logger writing one JSON object per line (`--json`).
 *
 * @example
 * ```ts
 * jsonLogger("info", (l) => console.log(l)).log("info", "started", { stages: 3 });
 * ```
 */
export function jsonLogger(
  min: LogLevel = "info",
  write: (line: string) => void = (l) => console.error(l),
): Logger {
  return {
    log(level, message, fields) {
      if (RANK[level] < RANK[min]) return;
      write(redactUrlsIn(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })));
    },
  };
}

/** A logger that drops everything (tests, `--quiet`). */
export const silentLogger: Logger = { log() {} };
