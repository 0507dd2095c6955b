/**
 * A JavaScript expression written in a pipeline file (`item.score > 3`), compiled once into a function of
 * the item. The expression is the user's own code, as trusted as a module stage: this is a convenience,
 * not a sandbox.
 * @module
 */
import { SluiceError } from "../../engine/errors.ts";

/**
 * An expression that does not compile: `reason` is the JavaScript engine's message.
 *
 * @example
 * ```ts
 * import { compileExpression, ExpressionSyntaxError } from "./compile_expression.ts";
 * try {
 *   compileExpression("item.score >");
 * } catch (e) {
 *   console.log(e instanceof ExpressionSyntaxError); // true
 * }
 * ```
 */
export class ExpressionSyntaxError extends SluiceError {
  /**
   * @param source the expression as written
   * @param reason the parser's message
   */
  constructor(readonly source: string, readonly reason: string) {
    super(
      "E_EXPR_SYNTAX",
      `expression does not compile: ${reason}`,
      "write one JavaScript expression over `item`, e.g. `item.score > 3` or `({ ...item, seen: true })`",
    );
  }
}

/**
 * Compiles `source` once into a function of `item` (strict mode). Throws
 * {@linkcode ExpressionSyntaxError} when it is not one expression.
 *
 * @example
 * ```ts
 * import { compileExpression } from "./compile_expression.ts";
 * const keep = compileExpression("item.score > 3");
 * console.log(keep({ score: 5 }), keep({ score: 1 })); // true false
 * ```
 */
export function compileExpression(source: string): (item: unknown) => unknown {
  if (source.trim() === "") throw new ExpressionSyntaxError(source, "the expression is empty");
  try {
    // The newline keeps a trailing `// comment` from swallowing the closing parenthesis.
    return new Function("item", `"use strict"; return (${source}\n);`) as (item: unknown) => unknown;
  } catch (e) {
    if (e instanceof SyntaxError) throw new ExpressionSyntaxError(source, e.message);
    throw e;
  }
}
