/**
 * The loader with the real stage registry: the shipped pipeline file loads, and module stages resolve
 * (or fail with the loader's errors) through the registry's `loadModule`.
 */
import { after, before, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigErrors, loadPipelineConfig, parsePipelineConfig, typeFits } from "../engine/config/mod.ts";
import { builtinStages } from "../stages/registry.ts";

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
let dir = "";

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-config-registry-"));
  await writeFile(
    path.join(dir, "shout.ts"),
    `export const shout = {
  name: "shout", description: "upper-cases titles", inType: "EntryItem", outType: "EntryItem",
  options: { volume: { type: "integer", default: 11, description: "how loud" } },
  create: () => { throw new Error("not built in this test"); },
};
`,
  );
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("pipelines/rss2imap.yaml loads with the built-in stages and every pair of stages fits", async () => {
  const spec = await loadPipelineConfig(path.join(repo, "pipelines", "rss2imap.yaml"), {
    env: {},
    catalog: builtinStages(),
  });
  assert.equal(spec.name, "rss2imap");
  assert.equal(spec.stages[0].entry.inType, "none");
  for (let k = 1; k < spec.stages.length; k++) {
    assert.ok(typeFits(spec.stages[k - 1].entry.outType, spec.stages[k].entry.inType), spec.stages[k].id);
  }
  assert.equal(new Set(spec.stages.map((s) => s.id)).size, spec.stages.length);
});

const pipeline = (use: string) =>
  `stages:\n  - use: feeds\n  - use: fetch\n  - use: parse\n  - use: dedupe\n  - use: ${use}\n    with: { volume: 3 }\n`;

test("a module stage loads through the registry, relative to the pipeline file", async () => {
  const spec = await parsePipelineConfig(pipeline("./shout.ts#shout"), path.join(dir, "p.yaml"), {
    env: {},
    catalog: builtinStages(),
  });
  const stage = spec.stages[4];
  assert.equal(stage.id, "shout");
  assert.equal(stage.entry.inType, "EntryItem");
  assert.deepEqual(stage.with, { volume: 3 });
});

test("a missing export and a missing file are ConfigErrors at the `use:` value", async () => {
  for (
    const [use, code] of [["./shout.ts#whisper", "E_CONFIG_MODULE_EXPORT"], [
      "./nope.ts#x",
      "E_CONFIG_MODULE_NOT_FOUND",
    ]]
  ) {
    let caught: unknown;
    await parsePipelineConfig(pipeline(use), path.join(dir, "p.yaml"), { env: {}, catalog: builtinStages() })
      .catch((e) => caught = e);
    assert.ok(caught instanceof ConfigErrors, use);
    assert.deepEqual(caught.errors.map((e) => [e.code, e.pos.line, e.pos.column]), [[code, 6, 10]]);
  }
});

test("a mailbox url that is not imap:// or imaps:// is a config error, not a silent Maildir", async () => {
  const text = "stages:\n  - use: feeds\n  - use: mailbox\n    with:\n      url: ${IMAP_URL}\n";
  for (
    const [stage, url] of [["mailbox", "mail.example.org"], ["upload-imap", "https://me:pw@mail.example.org"]]
  ) {
    const e = await parsePipelineConfig(text.replace("mailbox", stage), "p.yaml", {
      env: { IMAP_URL: url },
      catalog: builtinStages(),
    }).then(() => undefined, (err: unknown) => err);
    assert.ok(e instanceof ConfigErrors, `${stage}: ${e}`);
    const first = e.errors.find((x) => x.code === "E_CONFIG_BAD_PATTERN");
    assert.ok(first, `${stage}: ${e.format()}`);
    assert.equal(`${first.pos.line}:${first.pos.column}`, "5:12");
    assert.match(first.hint ?? "", /imap:\/\/user:pass@host:port or imaps:\/\//);
    assert.ok(!first.reason.includes("pw@"), "the secret value is not echoed");
  }
  for (const url of ["", "imap://me:pw@127.0.0.1:1143", "IMAPS://mail.example.org"]) {
    const e = await parsePipelineConfig(text, "p.yaml", { env: { IMAP_URL: url }, catalog: builtinStages() })
      .then(() => undefined, (err: unknown) => err);
    const codes = e instanceof ConfigErrors ? e.errors.map((x) => x.code) : [];
    assert.ok(!codes.includes("E_CONFIG_BAD_PATTERN"), `${JSON.stringify(url)} is a valid url`);
  }
});

test("retry on `exec` (one process for all items) is an error, not silently ignored", async () => {
  const text = `stages:
  - use: feeds
  - use: exec
    with: { command: [cat] }
    retry: { attempts: 3 }
`;
  const e = await parsePipelineConfig(text, "p.yaml", { env: {}, catalog: builtinStages() }).then(
    () => undefined,
    (err: unknown) => err,
  );
  assert.ok(e instanceof ConfigErrors, String(e));
  const noEffect = e.errors.filter((x) => x.code === "E_CONFIG_NO_EFFECT");
  assert.deepEqual(noEffect.map((x) => `${x.pos.line}:${x.pos.column}`), ["5:5"]);
  assert.match(noEffect[0].reason, /`retry` has no effect on stage `exec`/);
  assert.match(noEffect[0].hint ?? "", /module stage/);
  const plain = await parsePipelineConfig(text.split("\n").slice(0, 4).join("\n") + "\n", "p.yaml", {
    env: {},
    catalog: builtinStages(),
  }).then(
    (): string[] => [],
    (err: unknown) => (err instanceof ConfigErrors ? err.errors.map((x) => x.code) : ["?"]),
  );
  assert.ok(!plain.includes("E_CONFIG_NO_EFFECT"));
});
