/**
 * Tests for pipelines (`cli.ts test FILE`): cases declared beside the pipeline feed items into a stage,
 * replace sources and sinks with in-memory ones, and compare the items that reach a stage.
 *
 * @example
 * ```ts ignore
 * import { loadTestCases, pipelineForCase, runTestCase } from "./mod.ts";
 * const registry = builtinStages();
 * const text = await readFile("pipelines/rss2imap.yaml", "utf8");
 * for (const c of await loadTestCases("pipelines/rss2imap.yaml")) {
 *   const spec = await pipelineForCase(text, "pipelines/rss2imap.yaml", c, registry);
 *   console.log(c.name, (await runTestCase(spec, c, registry)).ok);
 * }
 * ```
 * @module
 */
export { CASE_KEYS, loadTestCases, type TestCase, testFileOf } from "./test_case.ts";
export { comparable, compareItems, headersOf, type ItemMismatch } from "./expected_items.ts";
export { itemDiff } from "./item_diff.ts";
export { pipelineForCase, runTestCase, type TestCaseResult } from "./run_test_case.ts";
