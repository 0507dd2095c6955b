/**
 * Stage settings (the keys beside `use:`) that a stage cannot honour. The runner applies `retry`,
 * `timeout`, `on-error` and the like to each item a per-item stage handles; a source has no input items,
 * and a stage that streams its whole input (`write`, `exec`) handles no item on its own. The loader
 * reports such a setting with its reason instead of accepting it and doing nothing.
 * @module
 */

/**
 * The stage settings that can lack an effect, by their canonical names (`on-error` is `onError`).
 *
 * @example
 * ```ts
 * const key: ItemSetting = "retry";
 * ```
 */
export type ItemSetting =
  | "concurrency"
  | "capacity"
  | "ordered"
  | "timeout"
  | "retry"
  | "onError"
  | "deadLetter";

/**
 * Why a setting does nothing on a stage, and what to write instead.
 *
 * @example
 * ```ts
 * const why: NoEffect = { reason: "it is a source", hint: "remove it" };
 * ```
 */
export interface NoEffect {
  /** Why the setting does nothing here (completes "`retry` has no effect on stage `x`: ..."). */
  reason: string;
  /** The fix. */
  hint: string;
}

/**
 * Settings without effect, by canonical key.
 *
 * @example
 * ```ts
 * const table: SettingsWithoutEffect = { timeout: { reason: "...", hint: "remove it" } };
 * ```
 */
export type SettingsWithoutEffect = Readonly<Partial<Record<ItemSetting, NoEffect>>>;

const SOURCE_REASON = "it is a source: it takes no items, so there is no item to";

/**
 * What a source (a stage whose input type is `none`) cannot honour: every per-item setting. A source
 * that fails stops the run; the settings of the stage after it govern the items it emits.
 *
 * @example
 * ```ts
 * import { SOURCE_SETTINGS } from "./settings_without_effect.ts";
 * console.log(Object.keys(SOURCE_SETTINGS).includes("retry")); // true
 * ```
 */
export const SOURCE_SETTINGS: SettingsWithoutEffect = {
  concurrency: {
    reason: `${SOURCE_REASON} process at the same time (it emits one item after another)`,
    hint: "remove it; set `concurrency:` on the stage after it",
  },
  capacity: {
    reason: "it is a source: `capacity` sizes a stage's input queue, and a source has none",
    hint: "remove it; set `capacity:` on the stage after it (its queue holds what the source emits)",
  },
  ordered: {
    reason: "it is a source: it emits its items in its own order",
    hint: "remove it",
  },
  timeout: {
    reason: `${SOURCE_REASON} time`,
    hint: "remove it; the pipeline's `budget:` limits the whole run",
  },
  retry: {
    reason: `${SOURCE_REASON} retry (a source that fails stops the run)`,
    hint: "remove it; put `retry:` on the stage after it",
  },
  onError: {
    reason: `${SOURCE_REASON} drop or dead-letter (a source that fails stops the run)`,
    hint: "remove it; put `on-error:` on the stage after it",
  },
  deadLetter: {
    reason: `${SOURCE_REASON} dead-letter (a source that fails stops the run)`,
    hint: "remove it; put `dead-letter:` on the stage after it",
  },
};

/**
 * The settings `entry` (a stage catalog entry) cannot honour: a source's (see {@linkcode SOURCE_SETTINGS}) and those the stage
 * declares itself.
 *
 * @example
 * ```ts
 * import { settingsWithoutEffect } from "./settings_without_effect.ts";
 * const entry = { name: "n", inType: "none", outType: "number", options: {}, description: "numbers" };
 * console.log(settingsWithoutEffect(entry).retry !== undefined); // true
 * ```
 */
export function settingsWithoutEffect(
  entry: { inType: string; settingsWithoutEffect?: SettingsWithoutEffect },
): SettingsWithoutEffect {
  const own = entry.settingsWithoutEffect ?? {};
  return entry.inType === "none" ? { ...SOURCE_SETTINGS, ...own } : own;
}
