/**
 * Fixtures shared by the state-store tests: two feed URLs and a fixed clock.
 * @module
 */

/**
 * A feed URL under example.org.
 *
 * @example
 * ```ts
 * import { FEED } from "./state_store_fixtures.ts";
 * new URL(FEED).hostname; // "example.org"
 * ```
 */
export const FEED = "https://example.org/feed.xml";

/**
 * A second feed URL, under example.net so it sorts before `FEED`.
 *
 * @example
 * ```ts
 * import { FEED, OTHER } from "./state_store_fixtures.ts";
 * OTHER < FEED; // true
 * ```
 */
export const OTHER = "https://example.net/atom.xml";

/**
 * The fixed "now" the tests pass to the store, so back-off times are exact.
 *
 * @example
 * ```ts
 * import { T0 } from "./state_store_fixtures.ts";
 * T0.toISOString(); // "2026-01-01T00:00:00.000Z"
 * ```
 */
export const T0 = new Date("2026-01-01T00:00:00.000Z");

/**
 * `ms` milliseconds after `T0`.
 *
 * @example
 * ```ts
 * import { at } from "./state_store_fixtures.ts";
 * at(60_000).toISOString(); // "2026-01-01T00:01:00.000Z"
 * ```
 */
export const at = (ms: number) => new Date(T0.getTime() + ms);
