/**
 * `map` and `filter` with `expr:` and `module:`, and placement that is real: a pool-placed module
 * function or module stage runs in a worker, a loop-placed one on the main thread, through YAML and
 * through TypeScript; `pool: { size }` sets the run's pool.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { buildPipeline, ConfigErrors, loadPipelineConfig } from "../engine/config/mod.ts";
import {
  fromIterable,
  moduleFilter,
  moduleMap,
  pipeline,
  runPipeline,
  silentLogger,
  sink,
} from "../engine/pipeline/mod.ts";
import { WorkerPool } from "../engine/kernel/mod.ts";
import { builtinStages } from "../stages/registry.ts";
import { collected, type Where } from "./fixtures/item_functions.ts";

const fixture = fileURLToPath(new URL("./fixtures/item_functions.ts", import.meta.url));
const quiet = { logger: silentLogger, measureLag: false };
let dir = "";

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-map-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `yaml` (stages after a module source of 1..10, ending in the collecting sink) and runs it. */
async function runYaml(name: string, stages: string, top = ""): Promise<unknown[]> {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `name: ${name}\n${top}stages:\n  - use: ${fixture}#oneToTen\n${stages}  - use: ${fixture}#collect\n`,
  );
  const registry = builtinStages();
  const spec = await loadPipelineConfig(file, { catalog: registry, env: () => undefined });
  collected.length = 0;
  const summary = await runPipeline(buildPipeline(spec, registry), { ...quiet, poolSize: spec.pool?.size });
  assert.equal(summary.ok, true, JSON.stringify(summary.failures));
  return [...collected];
}

async function checkErrors(name: string, stages: string): Promise<ConfigErrors> {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, `name: ${name}\nstages:\n  - use: ${fixture}#oneToTen\n${stages}`);
  const error = await loadPipelineConfig(file, { catalog: builtinStages(), env: () => undefined }).then(
    () => undefined,
    (e) => e,
  );
  assert.ok(error instanceof ConfigErrors, `expected config errors, got ${error}`);
  return error;
}

describe("map and filter with expr", () => {
  test("filter then map over item, in order", async () => {
    const out = await runYaml(
      "expr",
      "  - use: filter\n    with: { expr: item % 2 === 0 }\n  - use: map\n    with:\n      expr: '({ n: item, sq: item * item })'\n",
    );
    assert.deepEqual(out, [2, 4, 6, 8, 10].map((n) => ({ n, sq: n * n })));
  });

  test("a syntax error points at the expression in the YAML", async () => {
    const e = await checkErrors("bad-expr", "  - use: map\n    with:\n      expr: item.score >\n");
    const error = e.errors[0];
    assert.equal(error.code, "E_CONFIG_BAD_OPTION");
    assert.deepEqual([error.pos.line, error.pos.column], [6, 13]);
    assert.match(error.message, /bad-expr\.yaml:6:13: stage `map`: expression does not compile/);
  });

  test("an expression stage cannot move to the pool, and check says why", async () => {
    const e = await checkErrors(
      "expr-pool",
      "  - use: filter\n    placement: pool\n    with: { expr: item > 1 }\n",
    );
    assert.equal(e.errors[0].code, "E_CONFIG_PLACEMENT");
    assert.equal(e.errors[0].pos.line, 5);
    assert.match(e.errors[0].message, /round trip to the pool costs more/);
  });

  test("neither or both of expr and module is an error", async () => {
    const neither = await checkErrors("neither", "  - use: map\n");
    assert.match(neither.errors[0].message, /needs `expr:` or `module:`/);
    const both = await checkErrors(
      "both",
      `  - use: map\n    with: { expr: item, module: ${fixture}#whereAmI }\n`,
    );
    assert.match(both.errors[0].message, /both `expr:` and `module:`/);
  });
});

describe("placement that is real", () => {
  test("module map: pool runs off the main thread, loop on it (YAML)", async () => {
    for (const placement of ["pool", "loop", "auto", "owner"]) {
      const out = await runYaml(
        `where-${placement}`,
        `  - use: map\n    placement: ${placement}\n    with: { module: ${fixture}#whereAmI }\n`,
      ) as Where[];
      assert.deepEqual(out.map((w) => w.n), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], placement);
      const main = placement !== "pool";
      assert.ok(out.every((w) => w.onMainThread === main), `${placement}: ${JSON.stringify(out[0])}`);
      // Bun (and Node) report it through node:worker_threads too; Deno's says true in a web Worker.
      if (main) assert.ok(out.every((w) => w.isMainThread));
    }
  });

  test("a module stage (export const s = map(...)) moves to the pool", async () => {
    const pooled = await runYaml(
      "stage-pool",
      `  - use: ${fixture}#whereStage\n    placement: pool\n`,
    ) as Where[];
    assert.ok(pooled.length === 10 && pooled.every((w) => !w.onMainThread));
    const looped = await runYaml("stage-loop", `  - use: ${fixture}#whereStage\n`) as Where[];
    assert.ok(looped.every((w) => w.onMainThread && w.isMainThread));
  });

  test("a plain module function as a stage takes its placement", async () => {
    const out = await runYaml("fn-stage", `  - use: ${fixture}#whereAmI\n    placement: pool\n`) as Where[];
    assert.ok(out.length === 10 && out.every((w) => !w.onMainThread));
  });

  test("module filter and async map on the pool, with pool: { size: 2 }", async () => {
    const out = await runYaml(
      "filter-pool",
      `  - use: filter\n    placement: pool\n    with: { module: ${fixture}#isOdd }\n` +
        `  - use: map\n    placement: pool\n    with: { module: ${fixture}#tripleLater }\n`,
      "pool: { size: 2 }\n",
    );
    assert.deepEqual(out, [3, 9, 15, 21, 27]);
  });

  test("a module path in with: is relative to the YAML file", async () => {
    const sub = path.join(dir, "sub");
    await rm(sub, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(sub));
    await writeFile(path.join(sub, "negate.ts"), "export const negate = (n: number) => -n;\n");
    const file = path.join(sub, "rel.yaml");
    await writeFile(
      file,
      `name: rel\nstages:\n  - use: ${fixture}#oneToTen\n  - use: map\n    placement: pool\n    with: { module: ./negate.ts#negate }\n  - use: ${fixture}#collect\n`,
    );
    const registry = builtinStages();
    const spec = await loadPipelineConfig(file, { catalog: registry, env: () => undefined });
    collected.length = 0;
    assert.equal((await runPipeline(buildPipeline(spec, registry), quiet)).ok, true);
    assert.deepEqual(collected, [-1, -2, -3, -4, -5, -6, -7, -8, -9, -10]);
  });

  test("a module that lacks the export is a check error; a source module stage cannot move", async () => {
    const missing = await checkErrors(
      "missing",
      `  - use: map\n    with: { module: ${fixture}#notAFunction }\n`,
    );
    assert.match(missing.errors[0].message, /exports no function `notAFunction`/);
    const source = await checkErrors("source-pool", `  - use: ${fixture}#oneToTen\n    placement: pool\n`);
    const placement = source.errors.find((e) => e.code === "E_CONFIG_PLACEMENT");
    assert.match(placement?.message ?? "", /only a per-item stage .* can move; this one is a source/);
  });

  test("module map with placement: process runs in a child process, in order", async () => {
    const out = await runYaml(
      "where-process",
      `  - use: map\n    placement: process\n    with: { module: ${fixture}#whereAmI }\n`,
    ) as Where[];
    assert.deepEqual(out.map((w) => w.n), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(out.every((w) => w.pid !== process.pid && w.onMainThread), JSON.stringify(out[0]));
  });
});

describe("module functions from TypeScript", () => {
  test("moduleMap on the pool: off the main thread, in order, errors per item", async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const module = new URL("./fixtures/item_functions.ts", import.meta.url).href;
      const out: Where[] = [];
      const failed: unknown[] = [];
      const summary = await runPipeline(
        pipeline(fromIterable([1, 2, 3, 4, 5]))
          .pipe(moduleFilter<number>({ module, export: "failOnThree" }, {
            placement: "pool",
            concurrency: 8,
            onError: "drop",
          }))
          .pipe(
            moduleMap<number, Where>({ module, export: "whereAmI" }, {
              placement: "pool",
              concurrency: 8,
              ordered: true,
            }),
          )
          .to(sink((w: Where) => void out.push(w))),
        { ...quiet, pool },
      );
      failed.push(...summary.failures);
      assert.deepEqual(out.map((w) => w.n).sort(), [1, 2, 4, 5]);
      assert.ok(out.every((w) => !w.onMainThread));
      assert.equal(summary.failures.length, 1);
      assert.equal(summary.failures[0].code, undefined);
      assert.match(summary.failures[0].error, /three is not allowed/);
    } finally {
      await pool.close();
    }
  });

  test("a pool map over 1,000 items batches its round trips", async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const module = new URL("./fixtures/pool_tasks.ts", import.meta.url).href;
      const out: number[] = [];
      await runPipeline(
        pipeline(fromIterable(Array.from({ length: 1000 }, (_, i) => i)))
          .pipe(
            moduleMap<number, number>({ module, export: "double" }, {
              placement: "pool",
              concurrency: 128,
              ordered: true,
            }),
          )
          .to(sink((n: number) => void out.push(n))),
        { ...quiet, pool },
      );
      assert.deepEqual(out, Array.from({ length: 1000 }, (_, i) => i * 2));
    } finally {
      await pool.close();
    }
  });
});

describe("--pool on the command line", () => {
  test("--pool 0 is a usage error; --pool 2 runs a pool stage", async () => {
    const { runCliChild } = await import("./support/cli_child.ts");
    const file = path.join(dir, "cli-pool.yaml");
    await writeFile(
      file,
      `name: cli-pool\nstages:\n  - use: ${fixture}#oneToTen\n  - use: map\n    placement: pool\n` +
        `    with: { module: ${fixture}#isOdd }\n  - use: filter\n    with: { expr: "false" }\n  - use: ${fixture}#collect\n`,
    );
    const bad = await runCliChild([file, "--pool", "0"], {});
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /--pool takes a whole number of workers, at least 1/);
    const ok = await runCliChild([file, "--pool", "2", "--quiet"], {});
    assert.equal(ok.code, 0, ok.stderr);
  });
});
