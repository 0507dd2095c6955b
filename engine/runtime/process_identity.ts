/**
 * Who this process is (pid and host name) and whether another process of this host still lives: what
 * a state lease records about its holder, and how a run tells a dead holder from a busy one.
 * @module
 */
import { hostname } from "node:os";
import process from "node:process";
import type { PermissionDescriptor } from "./adapter.ts";
import { runtime } from "./mod.ts";

/**
 * This process's id and host name (`localhost` when the runtime may not read it, e.g. Deno without
 * `--allow-sys`).
 *
 * @example
 * ```ts
 * import { processIdentity } from "./process_identity.ts";
 * const me = processIdentity();
 * console.log(me.pid > 0, me.host.length > 0); // true true
 * ```
 */
export function processIdentity(): { pid: number; host: string } {
  let host = "localhost";
  try {
    if (granted({ name: "sys", kind: "hostname" })) host = hostname() || host;
  } catch { /* no --allow-sys: keep localhost */ }
  return { pid: process.pid, host };
}

/** Whether the runtime allows `permission` without asking the user (runtimes without permissions: yes). */
function granted(permission: PermissionDescriptor): boolean {
  return runtime.permissionGranted?.(permission) ?? true;
}

/**
 * Whether process `pid` of this host is alive: true or false when the system says so, undefined when
 * it cannot tell (Deno without `--allow-run`, asked without a prompt; no signals on this platform).
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import { processAlive } from "./process_identity.ts";
 * console.log(processAlive(process.pid)); // true
 * ```
 */
export function processAlive(pid: number): boolean | undefined {
  if (!Number.isInteger(pid) || pid <= 0 || !granted({ name: "run" })) return undefined;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ESRCH") return false;
    if (code === "EPERM") return true; // it exists, owned by another user
    return undefined;
  }
}
