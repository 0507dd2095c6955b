/**
 * Loading pipeline files: a valid file becomes the expected spec, and every kind of mistake is reported
 * with its exact position, message and hint, all of a file's mistakes at once.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  catalogOf,
  ConfigError,
  ConfigErrors,
  loadPipelineConfig,
  parseModuleSpecifier,
  parsePipelineConfig,
  type StageCatalog,
  type StageCatalogEntry,
} from "../engine/config/mod.ts";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "config");
const fixture = (name: string) => path.join(fixtures, name);

const entries: StageCatalogEntry[] = [
  {
    name: "feeds",
    inType: "none",
    outType: "FeedRef",
    description: "reads the feed list",
    options: {
      list: { type: "string", default: "", description: "file or URL of the feed list" },
      folders: {
        type: "object",
        description: "folder -> feed URLs",
        additional: { type: "string[]", description: "feed URLs" },
      },
    },
  },
  {
    name: "fetch",
    inType: "FeedRef",
    outType: "FetchedFeed",
    description: "downloads feeds",
    options: {
      timeout: { type: "duration", default: "30s", description: "per request" },
      "max-bytes": { type: "integer", default: 5_000_000, min: 1, description: "largest body" },
    },
  },
  { name: "parse", inType: "FetchedFeed", outType: "ParsedFeedItem", description: "parses", options: {} },
  {
    name: "dedupe",
    inType: "ParsedFeedItem",
    outType: "EntryItem",
    description: "drops entries already delivered",
    options: { state: { type: "string", default: "./.sluice", description: "state location" } },
  },
  {
    name: "mime",
    inType: "EntryItem",
    outType: "MailMessage",
    description: "builds the email",
    options: { from: { type: "string", default: "sluice@localhost", description: "From: address" } },
  },
  { name: "tap", inType: "any", outType: "any", description: "looks at items", options: {} },
  {
    name: "upload-imap",
    inType: "MailMessage",
    outType: "none",
    description: "appends to IMAP folders",
    options: {
      url: { type: "string", required: true, description: "imap:// URL of the server" },
      password: { type: "string", required: true, secret: true, description: "IMAP password" },
      mode: { type: "string", enum: ["append", "multiappend"], default: "multiappend", description: "how" },
      batch: { type: "integer", default: 50, min: 1, max: 1000, description: "messages per command" },
    },
  },
];

const shout: StageCatalogEntry = {
  name: "shout",
  inType: "EntryItem",
  outType: "EntryItem",
  description: "upper-cases titles",
  options: { volume: { type: "integer", default: 11, description: "how loud" } },
};

/** The fake registry's module loader: knows the export `shout` of any module, like a real one would. */
const loadModule = (specifier: string, fromFile: string): Promise<StageCatalogEntry> => {
  const { exportName, file } = parseModuleSpecifier(specifier, fromFile);
  if (exportName === "shout") return Promise.resolve(shout);
  return Promise.reject(new Error(`${file} does not provide an export named "${exportName}"`));
};

const catalog: StageCatalog = catalogOf(entries, loadModule);
const byName = (name: string) => entries.find((e) => e.name === name)!;

async function errorsOf(
  text: string,
  env: Record<string, string> = {},
  file = "x.yaml",
): Promise<ConfigErrors> {
  try {
    await parsePipelineConfig(text, file, { env, catalog });
  } catch (e) {
    if (e instanceof ConfigErrors) return e;
    throw e;
  }
  assert.fail("expected ConfigErrors");
}

async function only(text: string, env: Record<string, string> = {}): Promise<ConfigError> {
  const { errors } = await errorsOf(text, env);
  assert.equal(errors.length, 1, errors.map((e) => e.message).join("\n"));
  return errors[0];
}

function at(e: ConfigError): string {
  return `${e.pos.line}:${e.pos.column}`;
}

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
        "`list` is an option of stage `feeds`: indent it under `with:`",
      ],
      [
        "6:7",
        "unknown option `concurrency` for stage `fetch`",
        "`concurrency` is a stage setting: move it out of `with:`, next to `use:`",
      ],
    ]);
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

  test("a file that cannot be read is a ConfigErrors with the path", async () => {
    let caught: unknown;
    await loadPipelineConfig(fixture("nope.yaml"), { env: {}, catalog }).catch((e) => caught = e);
    assert.ok(caught instanceof ConfigErrors);
    assert.equal(caught.errors[0].code, "E_CONFIG_FILE");
    assert.match(caught.format(), /nope\.yaml: cannot read pipeline file: /);
  });
});

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
