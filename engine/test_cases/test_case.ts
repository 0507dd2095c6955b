/**
 * The test cases of a pipeline (`cli.ts test FILE`): read from the pipeline file's `tests:` list and from
 * `FILE.test.yaml` beside it, each checked with positions so a malformed case is reported at
 * file:line:col like any mistake in a pipeline file.
 * @module
 */
import { readFile } from "node:fs/promises";
import {
  ConfigError,
  ConfigErrorCode,
  ConfigErrors,
  type OptionSchema,
  type PathPositions,
  readYamlWithPositions,
  type Span,
  validateOptions,
} from "../config/mod.ts";

/**
 * One test case: items fed into a stage, sources and sinks replaced, items expected where they arrive.
 *
 * @example
 * ```ts
 * const c: TestCase = {
 *   name: "doubles", file: "p.yaml", span: { pos: { file: "p.yaml", line: 9, column: 5 }, length: 4 },
 *   env: {}, input: { items: [1, 2] }, replace: [], expect: { items: [2, 4] }, where: undefined as never,
 * };
 * ```
 */
export interface TestCase {
  /** What the case checks, as written after `name:`. */
  name: string;
  /** The file the case is written in (the pipeline file or its `.test.yaml`). */
  file: string;
  /** Where the case starts (its `- name:` item). */
  span: Span;
  /** Variables the pipeline file reads (`${VAR}`), over the test file's `env:` and the process's. */
  env: Record<string, string>;
  /** The items to feed, and the stage id they go into (the first stage when absent). */
  input: { stage?: string; items: unknown[] };
  /** Ids of sources and sinks replaced by in-memory ones. */
  replace: string[];
  /** The items expected, and the stage id they must reach (the end when absent). */
  expect: { stage?: string; items: unknown[] };
  /** Positions inside the case, for errors about the stages it names. */
  where: PathPositions;
}

const STAGE_AND_ITEMS: OptionSchema = {
  stage: { type: "string", description: "the id of a stage of the pipeline" },
  items: { type: "any", required: true, description: "the list of items" },
};

/**
 * The keys of one case.
 *
 * @example
 * ```ts
 * import { CASE_KEYS } from "./test_case.ts";
 * Object.keys(CASE_KEYS); // ["name", "env", "input", "replace", "expect"]
 * ```
 */
export const CASE_KEYS: OptionSchema = {
  name: { type: "string", required: true, description: "what the case checks" },
  env: {
    type: "object",
    description: "variables for the pipeline file's ${VAR} references",
    additional: { type: "string", description: "the value" },
  },
  input: {
    type: "object",
    required: true,
    properties: STAGE_AND_ITEMS,
    description: "items fed into `stage` (default: the first stage; stages before it do not run)",
  },
  replace: { type: "string[]", description: "ids of sources and sinks to replace with in-memory ones" },
  expect: {
    type: "object",
    required: true,
    properties: STAGE_AND_ITEMS,
    description: "items expected to reach `stage` (default: the end of the pipeline)",
  },
};

const TEST_FILE_KEYS: OptionSchema = {
  env: {
    type: "object",
    description: "variables for every case",
    additional: { type: "string", description: "the value" },
  },
  tests: { type: "any", required: true, description: "the list of cases, each `- name: ...`" },
};

/**
 * The test file beside a pipeline file: `x.yaml` -> `x.test.yaml`.
 *
 * @example
 * ```ts
 * import { testFileOf } from "./test_case.ts";
 * testFileOf("pipelines/rss2imap.yaml"); // "pipelines/rss2imap.test.yaml"
 * ```
 */
export function testFileOf(pipelineFile: string): string {
  return pipelineFile.replace(/(\.ya?ml)?$/i, (ext) => `.test${ext || ".yaml"}`);
}

/**
 * Reads every case of `pipelineFile`: its `tests:` list, then those of its `.test.yaml` (when it exists).
 * Throws {@linkcode ConfigErrors} listing every malformed case, or when there is no case at all.
 *
 * @example
 * ```ts ignore
 * const cases = await loadTestCases("pipelines/rss2imap.yaml");
 * ```
 */
export async function loadTestCases(pipelineFile: string): Promise<TestCase[]> {
  const errors: ConfigError[] = [];
  const cases: TestCase[] = [];
  const own = await readCases(pipelineFile, false, errors);
  const testFile = testFileOf(pipelineFile);
  const beside = await readCases(testFile, true, errors);
  if (errors.length) throw new ConfigErrors(errors[0].pos.file, errors);
  cases.push(...own, ...beside);
  if (cases.length === 0) {
    const span: Span = { pos: { file: pipelineFile, line: 0, column: 0 }, length: 0 };
    const hint = `add \`tests:\` with \`- name: ...\` cases to ${pipelineFile}, or write ${testFile}`;
    throw new ConfigErrors(pipelineFile, [
      new ConfigError(ConfigErrorCode.MissingOption, "no test cases", span, { hint }),
    ]);
  }
  return cases;
}

async function readCases(file: string, isTestFile: boolean, errors: ConfigError[]): Promise<TestCase[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if (isTestFile && (e as { code?: string }).code === "ENOENT") return [];
    const span: Span = { pos: { file, line: 0, column: 0 }, length: 0 };
    errors.push(new ConfigError(ConfigErrorCode.File, `cannot read ${file}: ${(e as Error).message}`, span));
    return [];
  }
  // Variables are filled later, per case (a case's env: may set them); here they stay as written.
  const loaded = readYamlWithPositions(text, file, (name) => `\${${name}}`);
  if (loaded.syntaxFailed) {
    errors.push(...loaded.errors);
    return [];
  }
  const data = loaded.data as Record<string, unknown> | null;
  let fileEnv: Record<string, string> = {};
  if (isTestFile) {
    const top = validateOptions(TEST_FILE_KEYS, data, loaded.positions, { noun: "top-level key" });
    errors.push(...top.errors);
    fileEnv = (top.value.env as Record<string, string> | undefined) ?? {};
  }
  const raw = data?.tests;
  if (raw === undefined || raw === null) return [];
  const where = loaded.positions.child("tests");
  if (!Array.isArray(raw)) {
    errors.push(
      new ConfigError(
        ConfigErrorCode.WrongType,
        "`tests` must be a list of `- name: ...` cases",
        where.valueSpan(),
        {
          hint: "write each case as `- name: ...` with `input:` and `expect:` under it",
        },
      ),
    );
    return [];
  }
  const cases: TestCase[] = [];
  raw.forEach((item, i) => {
    const at = where.child(i);
    const subject = typeof (item as { name?: unknown })?.name === "string"
      ? `test \`${(item as { name: string }).name}\``
      : `test ${i + 1}`;
    const checked = validateOptions(CASE_KEYS, item, at, { subject });
    let ok = checked.errors.length === 0;
    errors.push(...checked.errors);
    const v = checked.value as {
      name?: string;
      env?: Record<string, string>;
      input?: { stage?: string; items?: unknown };
      replace?: string[];
      expect?: { stage?: string; items?: unknown };
    };
    for (const part of ["input", "expect"] as const) {
      const items = v[part]?.items;
      if (v[part] && !Array.isArray(items)) {
        ok = false;
        errors.push(
          new ConfigError(
            ConfigErrorCode.WrongType,
            `\`${part}.items\` of ${subject} must be a list of items`,
            at.child(part).child("items").valueSpan(),
            { hint: "write the items as a YAML list: `items: [1, 2]` or one `- ` line per item" },
          ),
        );
      }
    }
    if (!ok || !v.name || !v.input || !v.expect) return;
    cases.push({
      name: v.name,
      file,
      span: at.valueSpan(),
      env: { ...fileEnv, ...v.env },
      input: { stage: v.input.stage, items: v.input.items as unknown[] },
      replace: v.replace ?? [],
      expect: { stage: v.expect.stage, items: v.expect.items as unknown[] },
      where: at,
    });
  });
  return cases;
}
