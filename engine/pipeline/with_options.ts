/**
 * Overriding a built stage's options (what the YAML loader does with `concurrency:`, `retry:`...).
 * @module
 */
import { resolveStageOptions, type Stage, type StageOptions } from "./stage.ts";

/**
 * A copy of `stage` with `overrides` applied over its options (unset overrides keep the stage's own).
 *
 * @example
 * ```ts
 * import { map } from "./constructors.ts";
 * const wide = withOptions(map((n: number) => n), { concurrency: 8 });
 * console.log(wide.options.concurrency); // 8
 * ```
 */
export function withOptions<In, Out>(stage: Stage<In, Out>, overrides: StageOptions): Stage<In, Out> {
  const defined = Object.fromEntries(
    Object.entries(overrides).filter(([, v]) => v !== undefined),
  ) as StageOptions;
  const base = { ...stage.options } as StageOptions;
  // ordered and capacity were derived from concurrency: recompute them unless set explicitly.
  if (defined.concurrency !== undefined) {
    if (overrides.ordered === undefined) delete base.ordered;
    if (overrides.capacity === undefined) delete base.capacity;
  }
  return {
    ...stage,
    options: resolveStageOptions({ ...base, ...defined }, stage.options.name, stage.options.placement),
  };
}
