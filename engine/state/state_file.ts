/**
 * The state file on disk: only a missing file is a fresh start. An empty (0-byte), truncated or foreign
 * file stops the run before anything is sent, naming the file and the command that recovers; files and
 * folders of the state are private to their user (0600 / 0700).
 * @module
 */
import { chmodSync, closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { StateStoreError } from "./store.ts";

/** The CLI commands that recover a damaged state, named in every hint about one. */
export const RECOVERY_HINT =
  "start over without mailing old entries again: `cli.ts state rebuild PIPELINE.yaml` " +
  "records what the mailbox already holds (by X-Sluice-Entry-Id), or `cli.ts state reset --mark-seen " +
  "PIPELINE.yaml` marks every current entry as seen without sending; both move the damaged file aside";

const SQLITE_MAGIC = "SQLite format 3\0";
const HEADER_BYTES = 100;

/**
 * Checks the SQLite file that holds a store. Returns false when it does not exist (a fresh start), true
 * when it looks whole.
 *
 * @throws StateStoreError E_STATE_EMPTY (0 bytes), E_STATE_FOREIGN (not SQLite), E_STATE_CORRUPT
 *   (shorter than its header says)
 * @example
 * ```ts
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import path from "node:path";
 * import { checkStateFile } from "./state_file.ts";
 * const dir = mkdtempSync(path.join(tmpdir(), "sluice-state-"));
 * console.log(checkStateFile(path.join(dir, "state.db"))); // false: a fresh start
 * ```
 */
export function checkStateFile(file: string, label: string = file): boolean {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return false;
    return true; // unreadable: opening it says why
  }
  if (size === 0) {
    throw new StateStoreError(
      "E_STATE_EMPTY",
      `${label} is empty (0 bytes): the state was lost (a full disk, a bad copy), so every entry would be ` +
        "mailed again; nothing was sent",
      RECOVERY_HINT,
    );
  }
  const header = new Uint8Array(HEADER_BYTES);
  const fd = openSync(file, "r");
  let read: number;
  try {
    read = readSync(fd, header, 0, HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 16 || new TextDecoder().decode(header.subarray(0, 16)) !== SQLITE_MAGIC) {
    throw new StateStoreError(
      "E_STATE_FOREIGN",
      `${label} is not a sluice state database (not an SQLite file); nothing was sent`,
      "point STATE_DIR at sluice's own state, or " + RECOVERY_HINT,
    );
  }
  const view = new DataView(header.buffer);
  const pageSize = read >= 18 ? (view.getUint16(16) === 1 ? 65536 : view.getUint16(16)) : 0;
  // The page count at 28 is valid when the change counter (24) equals "version valid for" (92).
  const pages = read >= 96 && view.getUint32(24) === view.getUint32(92) ? view.getUint32(28) : 0;
  // A checkpoint in progress (another run copying its WAL in) may grow the file after its header: only
  // a file without a WAL beside it is judged by its length.
  if (read < HEADER_BYTES || (size < pageSize * pages && !existsSync(`${file}-wal`))) {
    throw new StateStoreError(
      "E_STATE_CORRUPT",
      `${label} is truncated (${size} bytes, its header says ${pageSize * pages}); nothing was sent`,
      RECOVERY_HINT,
    );
  }
  return true;
}

/**
 * Makes the store's files private to this user (0600): the file and SQLite's `-wal` and `-shm` beside it,
 * those that exist. Errors are ignored (a filesystem without modes).
 *
 * @example
 * ```ts
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import path from "node:path";
 * import { makeStateFilesPrivate } from "./state_file.ts";
 * const file = path.join(mkdtempSync(path.join(tmpdir(), "sluice-state-")), "state.db");
 * writeFileSync(file, "");
 * makeStateFilesPrivate(file); // 0600; the -wal and -shm files do not exist and are skipped
 * ```
 */
export function makeStateFilesPrivate(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(f, 0o600);
    } catch { /* missing, or no modes here */ }
  }
}
