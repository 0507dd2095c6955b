/**
 * Text with expressions over `item` in double braces (`https://api.example.org/users/{{ item.id }}`),
 * compiled once. Double braces, not `${...}`: a pipeline file already uses `${VAR}` for the environment.
 * @module
 */
import { compileExpression, ExpressionSyntaxError } from "./compile_expression.ts";

/**
 * Compiles `template` into a function of the item. Each `{{ expr }}` becomes the expression's value:
 * a string as it is, `null`/`undefined` as nothing, anything else as JSON. Throws
 * {@linkcode ExpressionSyntaxError} naming the expression that does not compile.
 *
 * @example
 * ```ts
 * import { compileTemplate } from "./compile_template.ts";
 * const url = compileTemplate("https://example.org/u/{{ item.id }}?q={{ encodeURIComponent(item.q) }}");
 * console.log(url({ id: 7, q: "a b" })); // https://example.org/u/7?q=a%20b
 * ```
 */
export function compileTemplate(template: string): (item: unknown) => string {
  const parts: (string | ((item: unknown) => unknown))[] = [];
  let at = 0;
  for (const m of template.matchAll(/\{\{(.*?)\}\}/gs)) {
    parts.push(template.slice(at, m.index));
    try {
      parts.push(compileExpression(m[1]));
    } catch (e) {
      if (e instanceof ExpressionSyntaxError) {
        throw new ExpressionSyntaxError(m[1], `in {{${m[1]}}}: ${e.reason}`);
      }
      throw e;
    }
    at = m.index! + m[0].length;
  }
  parts.push(template.slice(at));
  if (parts.length === 1) return () => template;
  return (item) => {
    let out = "";
    for (const p of parts) {
      if (typeof p === "string") out += p;
      else {
        const v = p(item);
        out += v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
      }
    }
    return out;
  };
}
