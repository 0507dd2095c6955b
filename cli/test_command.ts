/**
 * `test`: runs the test cases beside a pipeline file and prints each as passed or failed, with a diff
 * of the first mismatch. Exit 0 when every case passed, 1 when one failed or is malformed.
 * @module
 */
import { readFile } from "node:fs/promises";
import { ConfigErrors, formatPosition } from "../engine/config/mod.ts";
import {
  itemDiff,
  loadTestCases,
  pipelineForCase,
  runTestCase,
  type TestCase,
  type TestCaseResult,
} from "../engine/test_cases/mod.ts";
import { builtinStages } from "../stages/registry.ts";
import { EXIT } from "./exit_codes.ts";

/**
 * Runs every case of `file`; `print` gets the report line by line. Returns the exit code.
 *
 * @example
 * ```ts ignore
 * const code = await testCommand("pipelines/rss2imap.yaml", console.log, console.error);
 * ```
 */
export async function testCommand(
  file: string,
  print: (line: string) => void,
  printError: (line: string) => void,
): Promise<number> {
  const registry = builtinStages();
  let cases: TestCase[];
  let text: string;
  try {
    cases = await loadTestCases(file);
    text = await readFile(file, "utf8");
  } catch (e) {
    if (!(e instanceof ConfigErrors)) throw e;
    printError(e.format());
    return EXIT.CONFIG;
  }
  // Every case is checked before any runs: a malformed one is a mistake to fix first, like in `check`.
  const specs = [];
  const problems: ConfigErrors[] = [];
  for (const c of cases) {
    try {
      specs.push(await pipelineForCase(text, file, c, registry));
    } catch (e) {
      if (!(e instanceof ConfigErrors)) throw e;
      problems.push(e);
    }
  }
  if (problems.length) {
    // A mistake in the pipeline file itself comes back from every case: show it once.
    for (const text of new Set(problems.map((p) => p.format()))) printError(text);
    return EXIT.CONFIG;
  }
  let failed = 0;
  for (let i = 0; i < cases.length; i++) {
    const started = performance.now();
    const result = await runTestCase(specs[i], cases[i], registry);
    const ms = Math.round(performance.now() - started);
    if (result.ok) {
      print(`ok     ${cases[i].name} (${ms} ms)`);
      continue;
    }
    failed++;
    print(`FAILED ${cases[i].name} (${formatPosition(cases[i].span.pos)})`);
    for (const line of report(result)) print(`       ${line}`);
  }
  const passed = cases.length - failed;
  print(`\n${passed} passed, ${failed} failed (${file})`);
  return failed ? EXIT.CONFIG : EXIT.OK;
}

function report(r: TestCaseResult): string[] {
  const lines: string[] = [];
  if (r.error) lines.push(`the run stopped: ${r.error}`);
  const m = r.mismatch;
  if (m) {
    const where = m.expected === undefined
      ? `an item nobody expected (${m.note})`
      : m.actual === undefined && m.path === ""
      ? `expected item ${m.index + 1} did not arrive (${m.note})`
      : `item ${m.index + 1}${m.path ? ` at \`${m.path}\`` : ""}: expected ${show(m.expected)}, got ${
        show(m.actual)
      }${m.note ? ` (${m.note})` : ""}`;
    lines.push(`first mismatch: ${where}`);
    if (m.items) {
      lines.push("--- expected", "+++ arrived", ...itemDiff(m.items.expected, m.items.actual));
    }
  }
  for (const f of r.failures) {
    lines.push(`item failed in \`${f.stage}\`${f.item ? ` (${f.item})` : ""}: ${f.error}`);
  }
  for (const l of r.log.slice(0, 10)) lines.push(l);
  return lines;
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 120 ? text.slice(0, 117) + "..." : text;
}
