/**
 * SQLite access for the state store through `node:sqlite` (`DatabaseSync`), which Deno 2 and Bun both
 * implement. The module is loaded on first use so importing sluice never fails on a runtime without it.
 * @module
 */

/** A prepared statement: the subset of `node:sqlite`'s `StatementSync` sluice uses. */
export interface SqliteStatement {
  /** Runs the statement; returns the number of changed rows. */
  run(...params: SqliteValue[]): { changes: number | bigint };
  /** The first row, or undefined. */
  get(...params: SqliteValue[]): Record<string, unknown> | undefined;
  /** Every row. */
  all(...params: SqliteValue[]): Record<string, unknown>[];
  /** The rows one at a time (a large result is never held whole). */
  iterate(...params: SqliteValue[]): IterableIterator<Record<string, unknown>>;
}

/** A value bound to a statement parameter. */
export type SqliteValue = string | number | bigint | null | Uint8Array;

/** An open database: the subset of `node:sqlite`'s `DatabaseSync` sluice uses. */
export interface SqliteDatabase {
  /** Runs one or more statements without results. */
  exec(sql: string): void;
  /** Compiles a statement once for repeated use. */
  prepare(sql: string): SqliteStatement;
  /** Closes the file. */
  close(): void;
}

/**
 * Opens (creating if needed) the SQLite file at `path` with `node:sqlite`.
 *
 * @param path database file
 * @param options `busyTimeoutMs`: how long a write waits for another process's lock before failing
 * @returns the open database (synchronous API: use it from one thread)
 * @example
 * ```ts
 * import { openSqlite } from "./sqlite.ts";
 * const db = await openSqlite("/tmp/example.db");
 * db.exec("CREATE TABLE IF NOT EXISTS t(x)");
 * db.close();
 * ```
 */
export async function openSqlite(
  path: string,
  options: { busyTimeoutMs?: number } = {},
): Promise<SqliteDatabase> {
  const { DatabaseSync } = await import("node:sqlite");
  return new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? 5000 }) as unknown as SqliteDatabase;
}
