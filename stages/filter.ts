/**
 * `filter`: keeps the items for which an expression over `item`, or a module function, is truthy.
 * @module
 */
import type { StageFactory } from "../engine/config/mod.ts";
import { filter, moduleFilter } from "../engine/pipeline/mod.ts";
import { compileExpression } from "../lib/expr/mod.ts";
import {
  checkItemFunction,
  itemFunctionOptions,
  itemFunctionPlacements,
  MODULE_FUNCTION_CONCURRENCY,
  moduleRef,
} from "./item_function.ts";

/**
 * The `filter` stage for YAML: `expr: item.score > 3` (on the loop) or `module: ./f.ts#keep`
 * (loop, pool, owner or auto).
 *
 * @example
 * ```ts
 * import { filterStage } from "./filter.ts";
 * const stage = filterStage.create({ expr: "item.score > 3" }, {});
 * ```
 */
export const filterStage: StageFactory = {
  name: "filter",
  description: "keeps the items for which `expr:` over `item` (or `module: ./f.ts#name`) is truthy",
  inType: "any",
  outType: "any",
  options: itemFunctionOptions("true to keep the item", "item.score > 3"),
  checkOptions: checkItemFunction,
  forOptions: itemFunctionPlacements,
  create: (o, ctx) => {
    if (typeof o.expr === "string") {
      const fn = compileExpression(o.expr);
      return filter((item: unknown) => Boolean(fn(item)), { name: "filter" });
    }
    return moduleFilter(moduleRef(o.module as string, ctx.file), {
      name: "filter",
      placement: ctx.placement,
      concurrency: MODULE_FUNCTION_CONCURRENCY,
      ordered: true,
    });
  },
};
