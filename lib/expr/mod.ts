/**
 * Expressions over an item, written in a pipeline file (`filter` and `map` with `expr:`).
 *
 * @example
 * ```ts
 * import { compileExpression } from "./mod.ts";
 * console.log(compileExpression("item * 2")(21)); // 42
 * ```
 * @module
 */
export { compileExpression, ExpressionSyntaxError } from "./compile_expression.ts";
export { compileTemplate } from "./compile_template.ts";
