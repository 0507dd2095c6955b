/**
 * A pipeline file's `${VAR}`s read a variable the runtime refuses as unset, so that a scoped
 * `--allow-env=FEEDS,IMAP_URL,...` names the variables the user sets. Refused every one of them (Deno
 * without `--allow-env`), a run would silently take every default (the Maildir instead of `IMAP_URL`, the
 * state in `./.sluice`): the commands that load a pipeline file stop first, with the runtime's refusal.
 * @module
 */
import { interpolate } from "../engine/config/interpolate.ts";
import { runtime } from "../engine/runtime/mod.ts";

/**
 * The runtime's refusal of the first variable `text` (a pipeline file) names, when it refuses every one
 * of them; undefined when it lets the process read at least one, the file names none, or the runtime has
 * no permissions.
 *
 * @example
 * ```ts
 * import { refusedEveryVariable } from "./environment_refusal.ts";
 * console.log(refusedEveryVariable("state: ${STATE_DIR:-./.sluice}\n")); // undefined with --allow-env
 * ```
 */
export function refusedEveryVariable(text: string): Error | undefined {
  const refusalOf = runtime.envRefusal;
  if (!refusalOf) return undefined;
  let first: Error | undefined;
  let allowed = false;
  interpolate(text, (name) => {
    if (allowed) return undefined;
    const refused = refusalOf(name);
    if (refused) first ??= refused;
    else allowed = true;
    return undefined;
  });
  return allowed ? undefined : first;
}
