/**
 * Loading pipeline files: a valid file becomes the expected spec, and mistakes are reported like a
 * compiler's, with file:line:col, the source line, carets and a hint, all of a file's mistakes at once.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import path from "node:path";
import { ConfigErrors, loadPipelineConfig, parsePipelineConfig } from "../engine/config/mod.ts";
import { at, byName, catalog, errorsOf, fixture, fixtures } from "./support/config_fixtures.ts";

describe("a valid pipeline file", () => {
  test("loads into the expected spec: defaults applied, durations in ms, variables filled", async () => {
    const env = { IMAP_USER: "bob", IMAP_PASSWORD: "s3cret", BATCH: "200" };
    const file = fixture("valid.yaml");
    const spec = await loadPipelineConfig(file, { env, catalog });
    const pos = (line: number) => ({ file, line, column: 5 });
    assert.deepEqual(spec, {
      file,
      name: "rss2imap",
      description: "feeds to IMAP folders",
      schedule: "*/30 * * * *",
      budget: 600_000,
      stages: [
        {
          use: "feeds",
          id: "feeds",
          entry: byName("feeds"),
          with: { list: "", folders: { News: ["https://example.org/news.xml"] } },
          pos: pos(7),
        },
        {
          use: "fetch",
          id: "fetch",
          entry: byName("fetch"),
          with: { timeout: 15_000, "max-bytes": 5_000_000 },
          concurrency: 32,
          retry: { attempts: 3, backoff: 500 },
          pos: pos(12),
        },
        { use: "parse", id: "parse", entry: byName("parse"), with: {}, placement: "pool", pos: pos(17) },
        { use: "dedupe", id: "dedupe", entry: byName("dedupe"), with: { state: "./.sluice" }, pos: pos(19) },
        {
          use: "mime",
          id: "mime",
          entry: byName("mime"),
          with: { from: "sluice@localhost" },
          onError: "dead-letter",
          deadLetter: path.join(fixtures, "failed.jsonl"),
          pos: pos(20),
        },
        {
          use: "upload-imap",
          id: "upload-imap",
          entry: byName("upload-imap"),
          with: { url: "imap://bob@127.0.0.1:143", password: "s3cret", mode: "multiappend", batch: 200 },
          capacity: 64,
          timeout: 90_000,
          pos: pos(23),
        },
      ],
    });
  });

  test("the name defaults to the file name, and repeated stages get numbered ids", async () => {
    const spec = await parsePipelineConfig(
      "stages:\n  - use: feeds\n  - use: tap\n  - use: fetch\n  - use: tap\n  - use: tap\n    id: last\n",
      "pipelines/hello.yaml",
      { env: {}, catalog },
    );
    assert.equal(spec.name, "hello");
    assert.deepEqual(spec.stages.map((s) => s.id), ["feeds", "tap-2", "fetch", "tap-4", "last"]);
  });

  test("kebab and camel spellings, retry shorthand, and dead-letter implying on-error", async () => {
    const spec = await parsePipelineConfig(
      [
        "stages:",
        "  - use: feeds",
        "  - use: fetch",
        "    retry: 4",
        "  - use: parse",
        "    onError: drop",
        "    retry: { attempts: 2, max-backoff: 2s, jitter: true, on: [E_HTTP] }",
        "  - use: dedupe",
        "    deadLetter: /tmp/dead.jsonl",
      ].join("\n"),
      "/srv/p.yaml",
      { env: {}, catalog },
    );
    const [, fetch, parse, dedupe] = spec.stages;
    assert.deepEqual(fetch.retry, { attempts: 4, backoff: 500 });
    assert.equal(parse.onError, "drop");
    assert.deepEqual(parse.retry, {
      attempts: 2,
      backoff: 500,
      maxBackoff: 2000,
      jitter: true,
      on: ["E_HTTP"],
    });
    assert.equal(dedupe.deadLetter, "/tmp/dead.jsonl");
    assert.equal(dedupe.onError, "dead-letter");
  });
});

describe("errors are formatted like a compiler's", () => {
  test("unknown option: file:line:col, the line, carets under the key, did you mean", async () => {
    let caught: unknown;
    await loadPipelineConfig(fixture("unknown_option.yaml"), { env: {}, catalog }).catch((e) => caught = e);
    assert.ok(caught instanceof ConfigErrors);
    const [e] = caught.errors;
    assert.equal(e.code, "E_CONFIG_UNKNOWN_OPTION");
    assert.equal(
      e.format(),
      [
        `${fixture("unknown_option.yaml")}:7:5: unknown option \`concurency\` for stage \`fetch\``,
        "   7 |     concurency: 32",
        "     |     ^^^^^^^^^^",
        "  hint: did you mean `concurrency`?",
      ].join("\n"),
    );
    assert.equal(caught.format(), `${e.format()}\n\n1 error in ${fixture("unknown_option.yaml")}`);
  });

  test("type mismatch names both stages with both positions and notes the producer", async () => {
    const file = "pipelines/broken.yaml";
    const { readFile } = await import("node:fs/promises");
    const text = await readFile(fixture("type_mismatch.yaml"), "utf8");
    const { errors } = await errorsOf(text, {}, file);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, "E_CONFIG_TYPE_MISMATCH");
    assert.equal(
      errors[0].format(),
      [
        "pipelines/broken.yaml:12:5: stage `mime` (line 12) takes `EntryItem` but `fetch` (line 9) produces `FetchedFeed`",
        "  12 |   - use: mime",
        "     |     ^^^^^^^^^",
        "pipelines/broken.yaml:9:5: note: `fetch` produces `FetchedFeed` here",
        "   9 |   - use: fetch",
        "     |     ^^^^^^^^^^",
        "  hint: insert `parse` then `dedupe` between them to turn `FetchedFeed` into `EntryItem`",
      ].join("\n"),
    );
  });

  test("every error of a file is collected, in file order", async () => {
    let caught: unknown;
    await loadPipelineConfig(fixture("many_errors.yaml"), { env: {}, catalog }).catch((e) => caught = e);
    assert.ok(caught instanceof ConfigErrors);
    assert.deepEqual(caught.errors.map((e) => `${at(e)} ${e.code}`), [
      "2:1 E_CONFIG_UNKNOWN_KEY",
      "3:9 E_CONFIG_BAD_DURATION",
      "7:13 E_CONFIG_UNSET_VARIABLE",
      "8:10 E_CONFIG_UNKNOWN_STAGE",
      "9:18 E_CONFIG_OUT_OF_RANGE",
      "11:16 E_CONFIG_BAD_ENUM",
      "13:7 E_CONFIG_UNKNOWN_OPTION",
      "16:14 E_CONFIG_WRONG_TYPE",
      "18:9 E_CONFIG_DUPLICATE_ID",
      "19:14 E_CONFIG_BAD_DURATION",
      "23:17 E_CONFIG_MISSING_OPTION",
      "24:14 E_CONFIG_WRONG_TYPE",
    ]);
    assert.match(caught.format(), /\n\n12 errors in .*many_errors\.yaml$/);
  });
});
