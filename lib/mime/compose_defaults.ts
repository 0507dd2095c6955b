/**
 * The defaults of composing a message, in a module of its own: the `mime` stage shows and applies them
 * without loading the MIME writer.
 * @module
 */

/**
 * Defaults of `ComposeOptions` (compose.ts).
 *
 * @example
 * ```ts
 * import { COMPOSE_DEFAULTS } from "./compose_defaults.ts";
 * COMPOSE_DEFAULTS.to; // "rss@sluice.invalid"
 * ```
 */
export const COMPOSE_DEFAULTS = {
  from: "feed@sluice.invalid",
  to: "rss@sluice.invalid",
  listId: true,
  linkPosition: "bottom",
} as const;
