/**
 * `sql`: a log summarised into SQLite through an upsert statement, rows read back by a `query` source,
 * batched inserts, a failing batch rolled back, and option mistakes at file:line:col.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildPipeline, ConfigErrors, loadPipelineConfig } from "../engine/config/mod.ts";
import {
  fromIterable,
  pipeline,
  runPipeline,
  type RunSummary,
  silentLogger,
} from "../engine/pipeline/mod.ts";
import { openSqlite } from "../engine/runtime/sqlite.ts";
import { builtinStages } from "../stages/registry.ts";
import { sqlInsert } from "../stages/sql.ts";

const quiet = { logger: silentLogger, measureLag: false };
let dir = "";

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-sql-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runYaml(name: string, yaml: string): Promise<RunSummary> {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, `name: ${name}\n${yaml}`);
  const registry = builtinStages();
  const spec = await loadPipelineConfig(file, { catalog: registry, env: () => undefined });
  return await runPipeline(buildPipeline(spec, registry), quiet);
}

describe("sql stage", () => {
  test("a log summarised into SQLite (upsert statement), then read back with a query", async () => {
    await writeFile(path.join(dir, "app.log"), "INFO a\nWARN b\nINFO c\nERROR d\nINFO e\n");
    const summarise = await runYaml(
      "summarise",
      "stages:\n  - use: read\n    with: { path: app.log }\n" +
        "  - use: map\n    with: { expr: '({ level: item.split(\" \")[0] })' }\n" +
        "  - use: sql\n    with:\n      db: stats.db\n" +
        "      setup: CREATE TABLE IF NOT EXISTS levels(level TEXT PRIMARY KEY, n INTEGER)\n" +
        "      statement: INSERT INTO levels(level, n) VALUES (:level, 1) ON CONFLICT(level) DO UPDATE SET n = n + 1\n",
    );
    assert.equal(summarise.ok, true, JSON.stringify(summarise.failures));
    const back = await runYaml(
      "back",
      'stages:\n  - use: sql\n    with: { db: stats.db, query: "SELECT level, n FROM levels ORDER BY level" }\n' +
        "  - use: write\n    with: { path: levels.jsonl, mode: replace }\n",
    );
    assert.equal(back.ok, true);
    const rows = (await readFile(path.join(dir, "levels.jsonl"), "utf8")).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.deepEqual(rows, [{ level: "ERROR", n: 1 }, { level: "INFO", n: 3 }, { level: "WARN", n: 1 }]);
  });

  test("TypeScript: 1,200 items inserted in batches; a failing insert fails the run and changes nothing", async () => {
    const db = path.join(dir, "items.db");
    const items = Array.from(
      { length: 1200 },
      (_, i) => ({ id: i, name: `n${i}`, tags: ["a"], ok: i % 2 === 0 }),
    );
    const setup =
      "CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT, tags TEXT, ok INTEGER)";
    const summary = await runPipeline(
      pipeline(fromIterable(items)).to(sqlInsert(db, "items", { setup, batch: 500 })),
      quiet,
    );
    assert.equal(summary.ok, true);
    const check = await openSqlite(db);
    try {
      assert.deepEqual({ ...check.prepare("SELECT count(*) AS n FROM items").get() }, { n: 1200 });
      assert.deepEqual({ ...check.prepare("SELECT * FROM items WHERE id = 3").get() }, {
        id: 3,
        name: "n3",
        tags: '["a"]',
        ok: 0,
      });
    } finally {
      check.close();
    }
    const dup = await runPipeline(
      pipeline(fromIterable([{ id: 5000, name: "new" }, { id: 1, name: "dup" }])).to(sqlInsert(db, "items")),
      quiet,
    );
    assert.equal(dup.ok, false);
    assert.match(String(dup.error), /inserting into items .* failed/);
    const after = await openSqlite(db);
    try {
      assert.equal(after.prepare("SELECT name FROM items WHERE id = 1").get()?.name, "n1");
    } finally {
      after.close();
    }
  });

  test("check: one of query, insert or statement", async () => {
    const file = path.join(dir, "bad.yaml");
    await writeFile(file, "name: bad\nstages:\n  - use: sql\n    with: { db: x.db }\n");
    const e = await loadPipelineConfig(file, { catalog: builtinStages(), env: () => undefined }).catch((e) =>
      e
    );
    assert.ok(e instanceof ConfigErrors);
    assert.match(e.errors.map((x) => x.message).join("\n"), /bad\.yaml:4:11: stage `sql`: needs `query:`/);
  });
});
