/**
 * How a pipeline's `use:` entries become a chain of stages: module stages (`use: ./file.ts#export`)
 * resolved through the catalog, and the item types of consecutive stages checked against each other.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  catalogOf,
  ConfigErrors,
  parsePipelineConfig,
  type StageCatalogEntry,
} from "../engine/config/mod.ts";
import { at, catalog, entries, errorsOf, only, shout } from "./support/config_fixtures.ts";

describe("types between consecutive stages", () => {
  test("the first stage must be a source", async () => {
    const e = await only("stages:\n  - use: fetch\n");
    assert.equal(e.code, "E_CONFIG_NO_SOURCE");
    assert.equal(e.reason, "the first stage `fetch` takes `FeedRef`: a pipeline starts with a source");
    assert.equal(e.hint, "start with a stage that takes no input, such as `feeds`");
    assert.equal(at(e), "2:5");
  });

  test("a source in the middle and a sink in the middle are reported with the neighbour", async () => {
    const source = await only("stages:\n  - use: feeds\n  - use: feeds\n    id: again\n");
    assert.equal(source.code, "E_CONFIG_MISPLACED_SOURCE");
    assert.equal(at(source), "3:5");
    assert.equal(source.notes[0].span.pos.line, 2);
    const sink = await only(
      "stages:\n  - use: feeds\n  - use: tap\n  - use: upload-imap\n    with: { url: u, password: p }\n  - use: tap\n",
    );
    assert.equal(sink.code, "E_CONFIG_MISPLACED_SINK");
    assert.equal(
      sink.reason,
      "stage `upload-imap` (line 4) is a sink and produces nothing, but `tap` (line 6) follows it",
    );
  });

  test("`any` fits everything in both directions", async () => {
    const spec = await parsePipelineConfig(
      "stages:\n  - use: feeds\n  - use: tap\n  - use: fetch\n  - use: tap\n  - use: parse\n",
      "x.yaml",
      { env: {}, catalog },
    );
    assert.equal(spec.stages.length, 5);
  });
});

describe("module stages (`use: ./file.ts#export`)", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sluice-config-"));
    await writeFile(path.join(dir, "my-stage.ts"), "export const shout = {};\n");
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const pipeline = (use: string) =>
    `stages:\n  - use: feeds\n  - use: fetch\n  - use: parse\n  - use: dedupe\n  - use: ${use}\n    with: { volume: 3 }\n`;

  test("resolve through catalog.loadModule relative to the pipeline file, options validated", async () => {
    const spec = await parsePipelineConfig(pipeline("./my-stage.ts#shout"), path.join(dir, "p.yaml"), {
      env: {},
      catalog,
    });
    const stage = spec.stages[4];
    assert.equal(stage.entry, shout);
    assert.equal(stage.id, "shout");
    assert.deepEqual(stage.with, { volume: 3 });
  });

  test("a module entry named after its specifier gets the export (or file) name as id", async () => {
    const anyStage = (name: string): StageCatalogEntry => ({
      name,
      inType: "any",
      outType: "any",
      description: "module stage",
      options: {},
    });
    const modules = catalogOf(entries, (specifier) => Promise.resolve(anyStage(specifier)));
    await writeFile(path.join(dir, "plain.ts"), "export default {};\n");
    const spec = await parsePipelineConfig(
      "stages:\n  - use: feeds\n  - use: ./my-stage.ts#shout\n  - use: ./plain.ts\n",
      path.join(dir, "p.yaml"),
      { env: {}, catalog: modules },
    );
    assert.deepEqual(spec.stages.map((s) => s.id), ["feeds", "shout", "plain"]);
  });

  test("a module file that does not exist is reported with the path looked for", async () => {
    const { errors } = await errorsOf(pipeline("./missing.ts#shout"), {}, path.join(dir, "p.yaml"));
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, "E_CONFIG_MODULE_NOT_FOUND");
    assert.equal(
      errors[0].reason,
      `stage module not found: \`./missing.ts#shout\` (looked for ${path.join(dir, "missing.ts")})`,
    );
    assert.equal(at(errors[0]), "6:10");
  });

  test("a missing export is reported from the loader's error", async () => {
    const { errors } = await errorsOf(pipeline("./my-stage.ts#whisper"), {}, path.join(dir, "p.yaml"));
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, "E_CONFIG_MODULE_EXPORT");
    assert.match(
      errors[0].reason,
      /^stage module `\.\/my-stage\.ts#whisper` has no usable export `whisper`: /,
    );
    assert.match(errors[0].hint!, /export the stage from the module as `whisper`/);
  });

  test("a catalog that cannot load modules says so", async () => {
    let caught: unknown;
    await parsePipelineConfig(pipeline("./my-stage.ts#shout"), path.join(dir, "p.yaml"), {
      env: {},
      catalog: catalogOf(entries),
    }).catch((e) => caught = e);
    assert.ok(caught instanceof ConfigErrors);
    assert.equal(caught.errors[0].code, "E_CONFIG_MODULE_UNSUPPORTED");
  });
});
