/**
 * Each kind of mistake in a pipeline file, one by one: its code, exact position, message and hint.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { catalogOf, ConfigErrors, loadPipelineConfig, parsePipelineConfig } from "../engine/config/mod.ts";
import { at, catalog, errorsOf, fixture, only } from "./support/config_fixtures.ts";

describe("each kind of mistake", () => {
  test("YAML syntax error: position, and the usual cause of an unquoted ${VAR} in a flow mapping", async () => {
    const { readFile } = await import("node:fs/promises");
    const { errors } = await errorsOf(await readFile(fixture("syntax_error.yaml"), "utf8"));
    assert.equal(errors.length, 1, "the parser's cascade of follow-up errors is not shown");
    assert.equal(errors[0].code, "E_CONFIG_YAML");
    assert.equal(at(errors[0]), "5:20");
    assert.match(errors[0].reason, /^YAML syntax error: /);
    assert.equal(errors[0].hint, 'inside `{ }` or `[ ]` a `${VAR}` must be quoted: write "${VAR}"');
  });

  test("YAML syntax error: duplicate key and bad indentation", async () => {
    const dup = await only("name: a\nname: b\nstages:\n  - use: feeds\n");
    assert.equal(dup.code, "E_CONFIG_YAML");
    assert.equal(at(dup), "2:1");
    assert.equal(dup.hint, "remove or rename one of the two keys");
    const indent = await only("stages:\n  - use: feeds\n    with: [a, b\n  - use: fetch\n");
    assert.equal(indent.code, "E_CONFIG_YAML");
    assert.equal(indent.pos.line, 4);
  });

  test("unknown top-level key suggests the right one", async () => {
    const e = await only("name: a\nstagse:\n  - use: feeds\nstages:\n  - use: feeds\n");
    assert.equal(e.reason, "unknown top-level key `stagse`");
    assert.equal(at(e), "2:1");
    assert.equal(e.hint, "did you mean `stages`?");
  });

  test("missing or empty `stages`, and a file that is not a mapping", async () => {
    const missing = await only("name: a\n");
    assert.equal(missing.code, "E_CONFIG_MISSING_STAGES");
    assert.equal(missing.reason, "missing `stages`: a pipeline needs at least one stage");
    assert.match(missing.hint!, /built-in stages: feeds, fetch, parse/);
    const empty = await only("name: a\nstages: []\n");
    assert.equal(empty.reason, "`stages` is empty");
    assert.equal(at(empty), "2:1");
    const list = await only("- use: feeds\n");
    assert.equal(list.code, "E_CONFIG_MISSING_STAGES");
    const notList = await only("stages:\n  use: feeds\n");
    assert.equal(notList.reason, "`stages` must be a list of `- use: <stage>` items, got a mapping");
  });

  test("a stage without `use:`, or written as a bare name", async () => {
    const noUse = await only("stages:\n  - with: {}\n");
    assert.equal(noUse.reason, "stage 1 has no `use:`");
    assert.equal(at(noUse), "2:5");
    const bare = await only("stages:\n  - feeds\n");
    assert.equal(bare.hint, "write `- use: feeds`");
  });

  test("unknown stage: did you mean, and the list of built-ins", async () => {
    const e = await only("stages:\n  - use: feeds\n  - use: fecth\n");
    assert.equal(e.code, "E_CONFIG_UNKNOWN_STAGE");
    assert.equal(e.reason, "unknown stage `fecth`");
    assert.equal(at(e), "3:10");
    assert.equal(
      e.hint,
      "did you mean `fetch`? built-in stages: feeds, fetch, parse, dedupe, mime, tap, upload-imap",
    );
    const far = await only("stages:\n  - use: feeds\n  - use: zzz\n");
    assert.match(far.hint!, /^built-in stages: .*; for your own stage write `use: \.\/file\.ts#exportName`$/);
  });

  test('wrong type: expected integer, got "abc"', async () => {
    const e = await only("stages:\n  - use: feeds\n  - use: fetch\n    concurrency: abc\n");
    assert.equal(e.code, "E_CONFIG_WRONG_TYPE");
    assert.equal(e.reason, 'option `concurrency` for stage `fetch`: expected integer, got "abc"');
    assert.equal(at(e), "4:18");
    const list = await only("stages:\n  - use: feeds\n    with:\n      folders: { News: [1, [2]] }\n");
    assert.equal(list.reason, "option `folders.News[1]` for stage `feeds`: expected string, got a list");
    assert.equal(at(list), "4:28");
  });

  test("out of range names the bound", async () => {
    const e = await only(
      "stages:\n  - use: feeds\n  - use: tap\n  - use: upload-imap\n    with: { url: u, password: p, batch: 5000 }\n",
    );
    assert.equal(e.code, "E_CONFIG_OUT_OF_RANGE");
    assert.equal(e.reason, "option `batch` for stage `upload-imap`: expected at most 1000, got 5000");
    assert.equal(at(e), "5:41");
  });

  test("bad enum lists the choices and suggests the closest", async () => {
    const e = await only("stages:\n  - use: feeds\n    placement: poll\n");
    assert.equal(e.code, "E_CONFIG_BAD_ENUM");
    assert.equal(
      e.reason,
      'option `placement` for stage `feeds`: expected one of loop, pool, process, owner, auto, got "poll"',
    );
    assert.equal(e.hint, "did you mean `pool`?");
    assert.equal(at(e), "3:16");
  });

  test("bad duration says how to write one", async () => {
    const e = await only("stages:\n  - use: feeds\n  - use: fetch\n    with:\n      timeout: 5 minutes\n");
    assert.equal(e.code, "E_CONFIG_BAD_DURATION");
    assert.equal(e.reason, 'option `timeout` for stage `fetch`: not a duration: "5 minutes"');
    assert.equal(at(e), "5:16");
    assert.match(e.hint!, /`150ms`, `30s`, `2m`, `1m30s`/);
  });

  test("a schedule the cron parser rejects is reported at its value", async () => {
    const e = await only('schedule: "0 25 * * *"\nstages:\n  - use: feeds\n');
    assert.equal(e.code, "E_CONFIG_BAD_SCHEDULE");
    assert.equal(at(e), "1:11");
    assert.match(e.reason, /^`schedule`: cron field 2 \(hour\) `25` is out of range/);
    assert.ok(e.hint);
  });

  test("a pipeline-level state no store can open is reported at its value", async () => {
    const e = await only("name: a\nstate: ftp://host/state\nstages:\n  - use: feeds\n");
    assert.equal(e.code, "E_CONFIG_BAD_STATE");
    assert.equal(at(e), "2:8");
    assert.match(e.reason, /^`state`: unknown state store `ftp:\/\/host\/state`/);
    assert.match(e.hint!, /kv:<path>/);
    const empty = await only('state: "sqlite:"\nstages:\n  - use: feeds\n');
    assert.equal(at(empty), "1:8");
    const list = await only("state: [a, b]\nstages:\n  - use: feeds\n");
    assert.equal(list.code, "E_CONFIG_WRONG_TYPE");
    assert.equal(at(list), "1:8");
  });

  test("unset variable: its name, its exact position, and how to fix it", async () => {
    const e = await only('stages:\n  - use: feeds\n    with:\n      list: "https://${HOST}/feeds.txt"\n');
    assert.equal(e.code, "E_CONFIG_UNSET_VARIABLE");
    assert.equal(e.reason, "environment variable `HOST` is not set");
    assert.equal(at(e), "4:22");
    assert.equal(e.span.length, "${HOST}".length);
    assert.equal(e.hint, "set HOST or write ${HOST:-default}");
  });

  test("missing required option points at `with:` (or the stage) and describes the option", async () => {
    const e = await only(
      "stages:\n  - use: feeds\n  - use: tap\n  - use: upload-imap\n    with:\n      url: imap://h\n",
    );
    assert.equal(e.code, "E_CONFIG_MISSING_OPTION");
    assert.equal(e.reason, "missing required option `password` for stage `upload-imap`");
    assert.equal(at(e), "5:5");
    assert.equal(e.hint, "add `password:` (IMAP password)");
  });

  test("duplicate stage id points at both", async () => {
    const e = await only("stages:\n  - use: feeds\n    id: a\n  - use: tap\n    id: a\n");
    assert.equal(e.code, "E_CONFIG_DUPLICATE_ID");
    assert.equal(e.reason, "duplicate stage id `a`");
    assert.equal(at(e), "5:9");
    assert.deepEqual(e.notes.map((n) => [n.span.pos.line, n.span.pos.column, n.message]), [
      [3, 9, "`a` is first used here"],
    ]);
  });

  test("a stage option at stage level, or a stage setting under `with:`, says where it belongs", async () => {
    const { errors } = await errorsOf(
      "stages:\n  - use: feeds\n    list: f.txt\n  - use: fetch\n    with:\n      concurrency: 3\n",
    );
    assert.deepEqual(errors.map((e) => [at(e), e.reason, e.hint]), [
      [
        "3:5",
        "unknown option `list` for stage `feeds`",
        "`list` is an option of stage `feeds`: indent `list:` by 6 spaces, under a `with:` line indented 4 spaces like `use:`",
      ],
      [
        "6:7",
        "unknown option `concurrency` for stage `fetch`",
        "`concurrency` is a stage setting: move it out of `with:`, next to `use:` (indented 4 spaces, like `use:` on line 4)",
      ],
    ]);
  });

  test("a list item or key at the wrong depth: the line, and how far to indent it", async () => {
    const deeper = await only("name: a\nstages:\n  - use: feeds\n  - use: fetch\n     - use: parse\n");
    assert.equal(deeper.code, "E_CONFIG_YAML");
    assert.equal(at(deeper), "5:6");
    assert.equal(
      deeper.reason,
      "wrong indentation: the list item `- use: parse` is indented 5 spaces, but the items of `stages:` start at 2",
    );
    assert.equal(deeper.hint, "indent it by 2 spaces, like `- use: feeds` on line 3");
    const shallower = await only(
      "name: a\nstages:\n  - use: feeds\n    with:\n      list: f\n- use: fetch\n",
    );
    assert.equal(at(shallower), "6:1");
    assert.equal(shallower.hint, "indent it by 2 spaces, like `- use: feeds` on line 3");
    const key = await only("name: a\nstages:\n  - use: feeds\n  - use: fetch\n      concurrency: 3\n");
    assert.equal(at(key), "5:7");
    assert.match(key.reason, /`concurrency:` is indented 6 spaces, but the keys beside it start at 4/);
    assert.match(key.hint!, /^indent it by 4 spaces/);
  });

  test("secret values never appear in messages or snippets", async () => {
    const { errors } = await errorsOf(
      "stages:\n  - use: feeds\n  - use: upload-imap\n    with: { url: u, password: [hunter2] }\n",
    );
    const e = errors.find((x) => x.code === "E_CONFIG_WRONG_TYPE")!;
    assert.equal(e.reason, "option `password` for stage `upload-imap`: expected string, got a list");
    const catalogWithEnum = catalogOf([{
      name: "src",
      inType: "none",
      outType: "any",
      description: "s",
      options: { token: { type: "string", secret: true, enum: ["a"], description: "API token" } },
    }]);
    let caught: unknown;
    await parsePipelineConfig(
      "stages:\n  - use: src\n    with: { token: ${TOKEN} }\n".replace("${TOKEN}", '"${TOKEN}"'),
      "s.yaml",
      { env: { TOKEN: "hunter2" }, catalog: catalogWithEnum },
    ).catch((x) => caught = x);
    assert.ok(caught instanceof ConfigErrors);
    assert.doesNotMatch(caught.format(), /hunter2/);
    assert.match(caught.format(), /got a string \(value hidden: secret option\)/);
    const literal = await parsePipelineConfig(
      "stages:\n  - use: src\n    with: { token: hunter2 }\n",
      "s.yaml",
      { env: {}, catalog: catalogWithEnum },
    ).catch((x) => x as ConfigErrors);
    assert.ok(literal instanceof ConfigErrors);
    assert.doesNotMatch(literal.format(), /hunter2/, "the source line in the snippet is redacted too");
  });

  test("a TypeScript module given as the pipeline file says how to run it instead", async () => {
    const e = await loadPipelineConfig("pipelines/rss2imap.ts", { env: {}, catalog }).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(e instanceof ConfigErrors);
    assert.equal(e.errors.length, 1);
    assert.match(e.errors[0].reason, /not a pipeline file \(those are YAML\)/);
    assert.match(e.errors[0].hint ?? "", /runPipeline/);
  });

  test("a file that cannot be read is a ConfigErrors with the path", async () => {
    let caught: unknown;
    await loadPipelineConfig(fixture("nope.yaml"), { env: {}, catalog }).catch((e) => caught = e);
    assert.ok(caught instanceof ConfigErrors);
    assert.equal(caught.errors[0].code, "E_CONFIG_FILE");
    assert.match(caught.format(), /nope\.yaml: cannot read pipeline file: /);
  });
});
