/**
 * `map`: each item becomes a new one, through an expression over `item` or a module function.
 * @module
 */
import type { StageFactory } from "../engine/config/mod.ts";
import { map, moduleMap } from "../engine/pipeline/mod.ts";
import { compileExpression } from "../lib/expr/mod.ts";
import {
  checkItemFunction,
  itemFunctionOptions,
  itemFunctionPlacements,
  MODULE_FUNCTION_CONCURRENCY,
  moduleRef,
} from "./item_function.ts";

/**
 * The `map` stage for YAML: `expr: ({ ...item, total: item.a + item.b })` (on the loop) or
 * `module: ./f.ts#name` (loop, pool, owner or auto).
 *
 * @example
 * ```ts
 * import { mapStage } from "./map.ts";
 * const stage = mapStage.create({ expr: "item * 2" }, {});
 * ```
 */
export const mapStage: StageFactory = {
  name: "map",
  description: "turns each item into a new one: `expr:` over `item`, or `module: ./f.ts#name`",
  inType: "any",
  outType: "any",
  options: itemFunctionOptions("the new item", "({ ...item, total: item.a + item.b })"),
  checkOptions: checkItemFunction,
  forOptions: itemFunctionPlacements,
  create: (o, ctx) => {
    if (typeof o.expr === "string") {
      const fn = compileExpression(o.expr);
      return map((item: unknown) => fn(item), { name: "map" });
    }
    return moduleMap(moduleRef(o.module as string, ctx.file), {
      name: "map",
      placement: ctx.placement,
      concurrency: MODULE_FUNCTION_CONCURRENCY,
      ordered: true,
    });
  },
};
