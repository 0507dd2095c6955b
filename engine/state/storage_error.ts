/**
 * Turns a storage engine's error (SQLite, Deno KV, which stores in SQLite locally) into a
 * {@linkcode StateStoreError} that names the file and says what to do.
 * @module
 */
import { mkdirSync } from "node:fs";
import { RECOVERY_HINT } from "./state_file.ts";
import { StateStoreError } from "./store.ts";

const NOT_WRITABLE_HINT = "set STATE_DIR (or `state:` in the config) to a directory this user can write";

/**
 * Classifies `cause` (locked, damaged, not writable, other) for the store at `path`.
 *
 * @example
 * ```ts
 * import { storageError } from "./storage_error.ts";
 * storageError(new Error("database is locked"), "/data/state.db").code; // "E_STATE_LOCKED"
 * ```
 */
export function storageError(cause: unknown, path: string): StateStoreError {
  if (cause instanceof StateStoreError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const m = message.toLowerCase();
  if (m.includes("locked") || m.includes("busy")) {
    return new StateStoreError(
      "E_STATE_LOCKED",
      `${path}: database is locked (${message})`,
      "another process holds the write lock: stop the other sluice run, or give each run its own STATE_DIR",
      { cause },
    );
  }
  if (m.includes("not a database") || m.includes("malformed") || m.includes("corrupt")) {
    return new StateStoreError(
      "E_STATE_CORRUPT",
      `${path}: the state database is damaged (${message})`,
      RECOVERY_HINT,
      { cause },
    );
  }
  if (/read-?only|unable to open|permission|denied|not a directory/.test(m)) {
    return new StateStoreError(
      "E_STATE_NOT_WRITABLE",
      `${path}: cannot write the state database (${message})`,
      NOT_WRITABLE_HINT,
      { cause },
    );
  }
  return new StateStoreError("E_STATE_IO", `${path}: ${message}`, "check the disk and the file", { cause });
}

/**
 * Creates the directory that will hold a store (private to this user: 0700), or says clearly why it
 * cannot.
 *
 * @example
 * ```ts
 * import { ensureStateDir } from "./storage_error.ts";
 * ensureStateDir("/tmp/sluice-example");
 * ```
 */
export function ensureStateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new StateStoreError(
      "E_STATE_NOT_WRITABLE",
      `cannot create the state directory ${dir}: ${(cause as Error).message}`,
      NOT_WRITABLE_HINT,
      { cause },
    );
  }
}
