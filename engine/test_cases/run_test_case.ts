/**
 * Runs one test case against its pipeline: the pipeline is loaded with the case's variables and built
 * with its real stages and placement; the case's items enter at its input stage (stages before it do
 * not run), the sources and sinks it names are replaced by in-memory ones, every sink runs in dry-run
 * mode (writing into a temporary folder), and the items that reach the expected stage are compared.
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  buildPipeline,
  ConfigError,
  ConfigErrorCode,
  ConfigErrors,
  parsePipelineConfig,
  type StageRegistry,
  suggest,
} from "../config/mod.ts";
import type { PipelineSpec } from "../config/spec.ts";
import { runtime } from "../runtime/mod.ts";
import {
  Chain,
  fromIterable,
  type ItemFailure,
  type Logger,
  runPipeline,
  sink,
  type Stage,
  tap,
} from "../pipeline/mod.ts";
import { compareItems, type ItemMismatch } from "./expected_items.ts";
import type { TestCase } from "./test_case.ts";

/**
 * The outcome of one case.
 *
 * @example
 * ```ts
 * function line(r: TestCaseResult) { return `${r.ok ? "ok" : "FAILED"} ${r.name}`; }
 * ```
 */
export interface TestCaseResult {
  /** The case's name. */
  name: string;
  /** All expected items arrived, nothing else did, and the run did not stop on an error. */
  ok: boolean;
  /** The first difference between the expected and the arrived items; undefined when they match. */
  mismatch?: ItemMismatch;
  /** Items that failed in a stage during the case (dropped or dead-lettered), for the report. */
  failures: ItemFailure[];
  /** The error that stopped the run, when it stopped (a stage with `on-error: fail`). */
  error?: string;
  /** Warnings and errors the stages logged during the case. */
  log: string[];
  /** How many items reached the expected stage. */
  arrived: number;
}

/**
 * Loads the pipeline in `text` (the content of `file`) for `testCase` and checks the stages the case
 * names; throws {@linkcode ConfigErrors} (the pipeline's, or the case's own at file:line:col).
 *
 * @example
 * ```ts ignore
 * const spec = await pipelineForCase(text, "pipelines/rss2imap.yaml", testCase, builtinStages());
 * ```
 */
export async function pipelineForCase(
  text: string,
  file: string,
  testCase: TestCase,
  registry: StageRegistry,
): Promise<PipelineSpec> {
  const env = (name: string) => testCase.env[name] ?? runtime.env(name);
  const spec = await parsePipelineConfig(text, file, { env, catalog: registry });
  const errors = checkStageNames(spec, testCase);
  if (errors.length) throw new ConfigErrors(testCase.file, errors);
  return spec;
}

/** The stages a case names must exist, replaced ones be sources or sinks, and the expected one come later. */
function checkStageNames(spec: PipelineSpec, c: TestCase): ConfigError[] {
  const ids = spec.stages.map((s) => s.id);
  const errors: ConfigError[] = [];
  const unknown = (name: string, where: typeof c.where) => {
    const near = suggest(name, ids);
    errors.push(
      new ConfigError(
        ConfigErrorCode.UnknownStage,
        `test \`${c.name}\`: the pipeline has no stage \`${name}\``,
        where.valueSpan(),
        { hint: near ? `did you mean \`${near}\`?` : `stage ids: ${ids.join(", ")}` },
      ),
    );
  };
  const inputAt = c.input.stage === undefined ? 0 : ids.indexOf(c.input.stage);
  if (inputAt < 0) unknown(c.input.stage!, c.where.child("input").child("stage"));
  const expectAt = c.expect.stage === undefined ? ids.length : ids.indexOf(c.expect.stage);
  if (expectAt < 0) unknown(c.expect.stage!, c.where.child("expect").child("stage"));
  if (inputAt >= 0 && expectAt >= 0 && expectAt < inputAt) {
    errors.push(
      new ConfigError(
        ConfigErrorCode.WrongType,
        `test \`${c.name}\`: \`${c.expect.stage}\` comes before \`${
          ids[inputAt]
        }\`, so no item could reach it`,
        c.where.child("expect").child("stage").valueSpan(),
        { hint: `expect items at \`${ids[inputAt]}\` or a stage after it` },
      ),
    );
  }
  c.replace.forEach((name, i) => {
    const where = c.where.child("replace").child(i);
    const stage = spec.stages.find((s) => s.id === name);
    if (!stage) return unknown(name, where);
    if (stage.entry.inType !== "none" && stage.entry.outType !== "none") {
      errors.push(
        new ConfigError(
          ConfigErrorCode.WrongType,
          `test \`${c.name}\`: \`${name}\` is neither a source nor a sink, so it cannot be replaced`,
          where.valueSpan(),
          {
            hint:
              `only sources and sinks are replaced; to skip \`${name}\`, feed items into the stage after it`,
          },
        ),
      );
    }
  });
  return errors;
}

/**
 * Runs `testCase` on the loaded `spec` and compares what arrived with what it expects.
 *
 * @example
 * ```ts ignore
 * const result = await runTestCase(spec, testCase, builtinStages());
 * console.log(result.ok);
 * ```
 */
export async function runTestCase(
  spec: PipelineSpec,
  testCase: TestCase,
  registry: StageRegistry,
): Promise<TestCaseResult> {
  const chain = buildPipeline(spec, registry);
  const built = chain.stages as Array<Stage<unknown, unknown>>;
  const ids = spec.stages.map((s) => s.id);
  const inputAt = testCase.input.stage === undefined ? 0 : ids.indexOf(testCase.input.stage);
  const arrived: unknown[] = [];
  const capture = tap((item: unknown) => void arrived.push(item), { name: "test:expect" });
  const replaced = (i: number): Stage<unknown, unknown> =>
    testCase.replace.includes(ids[i])
      ? (sink(() => {}, { name: ids[i] }) as Stage<unknown, unknown>)
      : built[i];
  // The case's items come from an in-memory source: in place of the input stage when it is a source.
  const stages: Array<Stage<unknown, unknown>> = built[inputAt].body.kind === "source"
    ? [fromIterable(testCase.input.items, { name: ids[inputAt] }) as Stage<unknown, unknown>]
    : [
      fromIterable(testCase.input.items, { name: "test:input" }) as Stage<unknown, unknown>,
      replaced(inputAt),
    ];
  for (let i = inputAt + 1; i < built.length; i++) stages.push(replaced(i));
  // Items "reach" a stage when they enter it; the end is what the last stage emits, or enters a sink.
  const lastIsSink = spec.stages[spec.stages.length - 1].entry.outType === "none";
  const expectAt = testCase.expect.stage !== undefined
    ? ids.indexOf(testCase.expect.stage)
    : lastIsSink
    ? built.length - 1
    : built.length;
  const firstStage = built[inputAt].body.kind === "source" ? inputAt : inputAt - 1;
  stages.splice(Math.max(1, expectAt - firstStage), 0, capture);

  const log: string[] = [];
  const logger: Logger = {
    log: (level, message, fields) => {
      if (level === "warn" || level === "error") {
        log.push(`${level}: ${fields?.stage ? `[${fields.stage}] ` : ""}${message}`);
      }
    },
  };
  const dryRun = await mkdtemp(path.join(tmpdir(), "sluice-test-"));
  try {
    const summary = await runPipeline(new Chain<never, unknown>(stages, chain.state), {
      dryRun,
      logger,
      measureLag: false,
      gcHint: false,
    });
    const error = summary.aborted ? String((summary.error as Error)?.message ?? summary.error) : undefined;
    const mismatch = compareItems(testCase.expect.items, arrived);
    return {
      name: testCase.name,
      ok: !mismatch && !error,
      mismatch,
      failures: summary.failures,
      error,
      log,
      arrived: arrived.length,
    };
  } finally {
    await rm(dryRun, { recursive: true, force: true });
  }
}
