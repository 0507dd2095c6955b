/**
 * How a recovered feed is reported, in a module of its own: the `parse` stage words its warning with it
 * without loading the feed parser.
 * @module
 */
import type { FeedProblem } from "./types.ts";

/**
 * How a recovered feed is reported: "recovered, with problems" and where the first one is.
 *
 * @example
 * ```ts
 * import { recoveredText } from "./recovered_text.ts";
 * recoveredText({ line: 3, column: 7, reason: "a bare '&' (write &amp;)", problems: 2 });
 * // "recovered, with problems (2): line 3 column 7: a bare '&' (write &amp;)"
 * ```
 */
export function recoveredText(problem: FeedProblem): string {
  return `recovered, with problems (${problem.problems}): line ${problem.line} column ${problem.column}: ${problem.reason}`;
}
