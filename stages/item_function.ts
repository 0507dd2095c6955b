/**
 * The `expr:` / `module:` pair that `map` and `filter` share: a JavaScript expression over `item`,
 * compiled once at load (on the loop), or a module function (`./f.ts#name`, sync or async) that can take
 * any placement.
 * @module
 */
import { type OptionProblem, type OptionSchema, parseModuleSpecifier } from "../engine/config/mod.ts";
import { MODULE_FUNCTION_PLACEMENTS, type TaskRef } from "../engine/pipeline/mod.ts";
import { compileExpression, ExpressionSyntaxError } from "../lib/expr/mod.ts";

/** Module functions run in batches of this many items at once, in order (see `pool_batcher.ts`). */
export const MODULE_FUNCTION_CONCURRENCY = 128;

/**
 * The options of an item function: `expr` or `module`, exactly one.
 *
 * @example
 * ```ts
 * import { itemFunctionOptions } from "./item_function.ts";
 * const schema = itemFunctionOptions("the new item", "({ ...item, n: item.n + 1 })");
 * ```
 */
export function itemFunctionOptions(what: string, example: string): OptionSchema {
  return {
    expr: {
      type: "string",
      description:
        `a JavaScript expression over \`item\` giving ${what}, e.g. \`${example}\` (runs on the loop)`,
    },
    module: {
      type: "string",
      description: `./file.ts#name: an exported function of the item giving ${what} (sync or async; ` +
        "relative to the pipeline file; any placement)",
    },
  };
}

/**
 * What `check` verifies beyond the schema: one of `expr` and `module`, an expression that compiles, a
 * module that loads and exports a function.
 *
 * @example
 * ```ts
 * import { checkItemFunction } from "./item_function.ts";
 * console.log(await checkItemFunction({ expr: "item >" }, { file: "x.yaml" })); // one problem at `expr`
 * ```
 */
export async function checkItemFunction(
  o: Record<string, unknown>,
  ctx: { file: string },
): Promise<OptionProblem[]> {
  const hint = "give `expr: <expression over item>` or `module: ./file.ts#function`";
  if (o.expr === undefined && o.module === undefined) {
    return [{ option: "expr", message: "needs `expr:` or `module:`", hint }];
  }
  if (o.expr !== undefined && o.module !== undefined) {
    return [{ option: "module", message: "has both `expr:` and `module:`; keep one", hint }];
  }
  if (typeof o.expr === "string") {
    try {
      compileExpression(o.expr);
      return [];
    } catch (e) {
      if (!(e instanceof ExpressionSyntaxError)) throw e;
      return [{ option: "expr", message: e.message, hint: e.hint }];
    }
  }
  const ref = moduleRef(o.module as string, ctx.file);
  try {
    const value = (await import(String(ref.module)))[ref.export];
    if (typeof value === "function") return [];
    return [{
      option: "module",
      message: `\`${o.module}\` exports no function \`${ref.export}\``,
      hint: "export a function of the item, e.g. `export function name(item) { return item; }`",
    }];
  } catch (e) {
    return [{
      option: "module",
      message: `\`${o.module}\` does not load: ${(e as Error).message}`,
      hint: "module paths are relative to the pipeline file's folder; check the path and the extension",
    }];
  }
}

/**
 * `expr:` stages run on the loop only; module functions take any placement.
 *
 * @example
 * ```ts
 * import { itemFunctionPlacements } from "./item_function.ts";
 * itemFunctionPlacements({ expr: "item" }).placements; // ["loop"]
 * ```
 */
export function itemFunctionPlacements(o: Record<string, unknown>) {
  return o.expr !== undefined
    ? {
      placements: ["loop"] as const,
      placementNote: "an `expr:` is a few microseconds of work: a round trip to the pool costs more than " +
        "running it (write the function in a module with `module:` to move it)",
    }
    : { placements: MODULE_FUNCTION_PLACEMENTS };
}

/**
 * `./f.ts#name` resolved against the pipeline file's folder.
 *
 * @example
 * ```ts
 * import { moduleRef } from "./item_function.ts";
 * moduleRef("./f.ts#keep", "/srv/p.yaml"); // { module: "file:///srv/f.ts", export: "keep" }
 * ```
 */
export function moduleRef(specifier: string, file: string | undefined): TaskRef & { module: string } {
  const ref = parseModuleSpecifier(specifier, file ?? "./pipeline.yaml");
  return { module: ref.url, export: ref.exportName };
}
