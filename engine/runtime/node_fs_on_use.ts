/**
 * `node:fs`, loaded by the first call that reads a file rather than by the modules that may read one: the
 * runtime adapters load on a process's main thread before a Deno run starts its thread, and read no file
 * there. Deno's first load of `node:fs` costs a thread 35-50 ms of CPU (measured on the main thread of
 * W1's run, Deno 2.9.6), which is time before the run's thread starts.
 * @module
 */
import process from "node:process";

/**
 * The `readFileSync` of `node:fs`, loading the module on the first call.
 *
 * @example
 * ```ts
 * import { readFileSyncOnUse } from "./node_fs_on_use.ts";
 * const text = readFileSyncOnUse("deno.json", "utf8");
 * console.log(text.includes("{")); // true
 * ```
 */
export function readFileSyncOnUse(path: string, encoding: "utf8"): string {
  return process.getBuiltinModule("node:fs").readFileSync(path, encoding);
}

/**
 * The `readlinkSync` of `node:fs`, loading the module on the first call.
 *
 * @example
 * ```ts
 * import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { readlinkSyncOnUse } from "./node_fs_on_use.ts";
 * const dir = mkdtempSync(join(tmpdir(), "sluice-link-"));
 * symlinkSync("target", join(dir, "link"));
 * readlinkSyncOnUse(join(dir, "link")); // "target"
 * rmSync(dir, { recursive: true });
 * ```
 */
export function readlinkSyncOnUse(path: string): string {
  return process.getBuiltinModule("node:fs").readlinkSync(path, "utf8");
}
