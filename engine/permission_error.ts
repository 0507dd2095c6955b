/**
 * A permission the runtime refused (Deno without `--allow-net`, `--allow-env`...): not a fault of the
 * input, and no retry or other item will get further, so a run stops at the first one and the error
 * says which flags to add. Runtimes without permissions (Bun) never produce one.
 * @module
 */
import { findInCauses, SluiceError } from "./errors.ts";
import { runtime } from "./runtime/mod.ts";

/**
 * What to do about a refused permission: the flags that cover everything sluice's commands do.
 *
 * @example
 * ```ts
 * import { PERMISSION_HINT } from "./permission_error.ts";
 * console.error(`error: Requires net access to "example.org:443"\n  hint: ${PERMISSION_HINT}`);
 * ```
 */
export const PERMISSION_HINT: string =
  "run it as `deno run -A cli.ts ...`, or grant what sluice uses: --allow-read " +
  "(sluice's own files, pipeline file, feed list, state), --allow-write (state), --allow-net (feeds, images, mail server) and " +
  "--allow-env (settings such as FEEDS and IMAP_URL); scoped forms such as --allow-net=example.org work too";

/**
 * The runtime refused a permission; `message` is the runtime's own ("Requires net access to ...") after
 * what sluice was doing, the hint names the flags.
 *
 * @example
 * ```ts
 * import { PermissionNeededError } from "./permission_error.ts";
 * const e = new PermissionNeededError('stage `fetch`: Requires net access to "example.org:443"');
 * console.log(e.code); // "E_PERMISSION"
 * ```
 */
export class PermissionNeededError extends SluiceError {
  /**
   * Creates the error with code `E_PERMISSION` and the flags to add as its hint.
   *
   * @param message what was refused, in the runtime's words, after what sluice was doing
   * @param options `cause`: the runtime's error
   */
  constructor(message: string, options?: ErrorOptions) {
    super("E_PERMISSION", message, PERMISSION_HINT, { ...options, stopsRun: true });
  }
}

/**
 * The refused permission behind `error` (the error itself or one of its causes), or undefined when
 * `error` is something else.
 *
 * @param error anything thrown
 * @param doing what sluice was doing, put before the runtime's message (e.g. "stage `fetch` on URL")
 * @returns a {@linkcode PermissionNeededError} whose cause is `error`, or undefined
 * @example
 * ```ts
 * import { permissionProblem } from "./permission_error.ts";
 * console.log(permissionProblem(new Error("disk full"))); // undefined
 * ```
 */
export function permissionProblem(error: unknown, doing?: string): PermissionNeededError | undefined {
  const refused = runtime.isPermissionError;
  if (!refused) return undefined;
  const found = findInCauses(error, (e): e is Error => e instanceof PermissionNeededError || refused(e));
  if (found === undefined || found instanceof PermissionNeededError) return found;
  return new PermissionNeededError(doing ? `${doing}: ${found.message}` : found.message, { cause: error });
}
