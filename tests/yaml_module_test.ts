/**
 * The YAML parser sluice loads: under Deno in this repository, deno.json's import map sends
 * `npm:yaml@^2.9.1` to the package's ES module build (its CommonJS build, which `npm:` picks, cost a run's
 * start 55-300 ms of `package.json` lookups); whichever build a runtime loads, a pipeline file's mistakes
 * keep their line:column, in the loader and through `cli.ts check`.
 */
import { after, before, describe, test } from "./support/testing.ts";
import { runCliChild } from "./support/cli_child.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { readYamlWithPositions } from "../engine/config/mod.ts";
import { runtime } from "../engine/runtime/mod.ts";

let dir = "";

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-yaml-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the YAML module", () => {
  test("under Deno, npm:yaml is the package's ES module build (deno.json's import map)", () => {
    // Bun reads npm: specifiers through its plugin (engine/runtime/bun_npm_plugin.ts), which loads the
    // package's Node build quickly; the map is Deno's only.
    if (runtime.name !== "deno") return;
    assert.match(import.meta.resolve("npm:yaml@^2.9.1"), /\/node_modules\/yaml\/browser\/index\.js$/);
  });

  test("a syntax error and a value's position come back as line:column", () => {
    const broken = readYamlWithPositions(
      "name: a\nstages:\n  - use: feeds\n    with: {a: [1, 2}\n",
      "b.yaml",
      {},
    );
    assert.equal(broken.errors.length, 1, broken.errors.map((e) => e.reason).join("; "));
    assert.equal(broken.errors[0].code, "E_CONFIG_YAML");
    assert.equal(broken.errors[0].pos.line, 4);
    const ok = readYamlWithPositions(
      "name: a\nstages:\n  - use: feeds\n    with:\n      list: x.txt\n",
      "o.yaml",
      {},
    );
    assert.deepEqual(ok.errors, []);
    const { pos } = ok.positions.child("stages").child(0).child("with").child("list").valueSpan();
    assert.deepEqual([pos.file, pos.line, pos.column], ["o.yaml", 5, 13]);
  });

  test("cli.ts check prints file:line:col for a mistake in the pipeline file", async () => {
    const file = path.join(dir, "typo.yaml");
    await writeFile(file, "name: typo\nstages:\n  - use: feeds\n    with:\n      lsit: x.txt\n");
    const r = await runCliChild(["check", file], {});
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /typo\.yaml:5:7: .*lsit/);
  });
});
