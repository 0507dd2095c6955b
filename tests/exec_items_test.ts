/**
 * `exec` accounts for every item: an item the command answers on stderr instead of a line (exit status 0)
 * fails on its own, with that stderr, under the stage's `on-error`; objects in `lines` format go as JSON;
 * `check` refuses a command written as one string.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  fromIterable,
  pipeline,
  runPipeline,
  silentLogger,
  sink,
  type Stage,
  type StageOptions,
} from "../engine/pipeline/mod.ts";
import { execStage as execFactory } from "../stages/exec.ts";
import { ConfigErrors, parsePipelineConfig } from "../engine/config/mod.ts";
import { builtinStages } from "../stages/registry.ts";
import { AnswerLedger } from "../engine/kernel/mod.ts";

const quiet = { logger: silentLogger, measureLag: false };

/** Echoes each line, except a line containing "bad": it complains on stderr and goes on (exit 0), as jq does. */
const complainer = [
  "sh",
  "-c",
  'while IFS= read -r l; do case "$l" in *bad*) echo "cannot parse: $l" >&2;; *) echo "$l";; esac; done',
];

let dir = "";
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-exec-items-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The built-in `exec` stage as the YAML loader builds it, with the stage keys `policy` adds. */
function execStage(
  withOptions: Record<string, unknown>,
  policy: Partial<StageOptions> = {},
): Stage<unknown, unknown> {
  const stage = execFactory.create(withOptions, {}) as Stage<unknown, unknown>;
  return { ...stage, options: { ...stage.options, ...policy } };
}

describe("exec accounts for every item", () => {
  test("an item answered on stderr with exit 0 fails with that stderr and is dead-lettered; the rest come out", async () => {
    const file = path.join(dir, "failed.jsonl");
    const out: unknown[] = [];
    const items = [{ n: 1 }, { n: 2, bad: true }, { n: 3 }, { n: 4, bad: true }];
    const p = pipeline(fromIterable<unknown>(items))
      .pipe(execStage({ command: complainer, format: "jsonl" }, { onError: "dead-letter", deadLetter: file }))
      .to(sink((x: unknown) => void out.push(x)));
    const summary = await runPipeline(p, quiet);
    assert.deepEqual(out, [{ n: 1 }, { n: 3 }]);
    assert.equal(summary.failures.length, 2);
    assert.match(summary.failures[0].error, /printed no line for item 2: cannot parse: \{"n":2,"bad":true\}/);
    assert.equal(summary.failures[0].code, "E_PROCESS_ITEM");
    const letters = (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(letters.map((l) => l.item), [{ n: 2, bad: true }, { n: 4, bad: true }]);
    assert.match(letters[1].error, /cannot parse/);
  });

  test("with the default on-error (fail) the run stops and says which item and why", async () => {
    const p = pipeline(fromIterable<unknown>(["a", "bad one", "c"]))
      .pipe(execStage({ command: complainer, format: "lines" }))
      .to(sink(() => {}));
    const summary = await runPipeline(p, quiet);
    assert.equal(summary.ok, false);
    assert.match(String(summary.error), /printed no line for item 2: cannot parse: bad one/);
  });

  test("on-error: drop lets the run finish and counts the item as failed, not vanished", async () => {
    const out: unknown[] = [];
    const p = pipeline(fromIterable<unknown>(["a", "b", "bad"]))
      .pipe(execStage({ command: complainer, format: "lines" }, { onError: "drop" }))
      .to(sink((x: unknown) => void out.push(x)));
    const summary = await runPipeline(p, quiet);
    assert.equal(summary.error, undefined);
    assert.deepEqual(out, ["a", "b"]);
    assert.equal(summary.failures.length, 1);
    assert.equal(summary.metrics.stages[1].dropped, 1);
  });

  test("a command that ends (status 0) without reading every item fails the rest (not a silent end)", async () => {
    const out: unknown[] = [];
    const p = pipeline(fromIterable<unknown>(["a", "b", "c"]))
      .pipe(execStage({ command: ["sh", "-c", "read -r l; echo $l"], format: "lines" }, { onError: "drop" }))
      .to(sink((x: unknown) => void out.push(x)));
    const summary = await runPipeline(p, quiet);
    assert.deepEqual(out, ["a"]);
    assert.equal(summary.failures.length, 2);
    for (const f of summary.failures) {
      assert.match(f.error, /printed no line for item [23]|had ended \(status 0\) before item [23] came/);
    }
  });

  test("jq's way: errors on stderr, the rest printed, exit 5 at the end: only the bad item fails", async () => {
    const jqLike = [
      "sh",
      "-c",
      'st=0; while IFS= read -r l; do case "$l" in *bad*) echo "error (at <stdin>:$((n+1)))" >&2; st=5;; ' +
      '*) echo "$l";; esac; n=$((n+1)); done; exit $st',
    ];
    const out: unknown[] = [];
    const p = pipeline(fromIterable<unknown>(["a", "bad", "c"]))
      .pipe(execStage({ command: jqLike, format: "lines" }, { onError: "drop" }))
      .to(sink((x: unknown) => void out.push(x)));
    const summary = await runPipeline(p, quiet);
    assert.equal(summary.error, undefined);
    assert.deepEqual(out, ["a", "c"]);
    assert.deepEqual(summary.failures.map((f) => f.error.replace(/^command .* printed/, "printed")), [
      "printed no line for item 2 (it ended with exit code 5): error (at <stdin>:2)",
    ]);
  });

  test("a failing status with every item answered, or a missing program, fails the stage (exit status in the error)", async () => {
    for (const command of [["sh", "-c", "cat; exit 1"], ["sluice-no-such-program-x"]]) {
      const p = pipeline(fromIterable<unknown>(["a", "b"]))
        .pipe(execStage({ command, format: "lines" }, { onError: "drop" }))
        .to(sink(() => {}));
      const summary = await runPipeline(p, quiet);
      assert.equal(summary.aborted, true, command.join(" "));
      assert.match(String(summary.error), /exited with code|could not start/);
    }
  });

  test("format lines writes an object item as JSON, never [object Object]", async () => {
    const out: unknown[] = [];
    const p = pipeline(fromIterable<unknown>([{ title: "x" }, "plain", 7]))
      .pipe(execStage({ command: ["cat"], format: "lines" }))
      .to(sink((x: unknown) => void out.push(x)));
    await runPipeline(p, quiet);
    assert.deepEqual(out, ['{"title":"x"}', "plain", "7"]);
  });
});

describe("the ledger pairs lines with items in order", () => {
  test("a warning on stderr for an item that still printed its line blames nobody", () => {
    const ledger = new AnswerLedger<string>();
    for (const x of ["a", "b", "c"]) ledger.sent(x);
    ledger.complained("warning: about a");
    ledger.answered();
    ledger.answered();
    ledger.answered();
    assert.deepEqual(ledger.unanswered(), []);
  });

  test("a complaint of several lines is one failed item", () => {
    const ledger = new AnswerLedger<string>();
    for (const x of ["a", "bad", "c", "d"]) ledger.sent(x);
    ledger.answered();
    ledger.complained("error: bad");
    ledger.complained("  at line 2");
    ledger.answered();
    ledger.answered();
    assert.deepEqual(ledger.unanswered().map((u) => [u.item, u.stderr]), [["bad", ["error: bad"]]]);
  });
});

describe("check: exec options", () => {
  const check = (yaml: string) =>
    parsePipelineConfig(yaml, "p.yaml", { env: {}, catalog: builtinStages() }).then(
      () => [] as ConfigErrors["errors"],
      (e: unknown) => (e instanceof ConfigErrors ? e.errors : Promise.reject(e)),
    );

  test("a command written as one string is refused at file:line:col, with the list to write", async () => {
    const errors = await check(`stages:
  - use: feeds
  - use: exec
    with: { command: "jq -c ." }
`);
    assert.equal(errors.length, 1, errors.map((e) => e.message).join("\n"));
    assert.match(errors[0].message, /^p\.yaml:4:22: .*`command`.*expected a list/);
    assert.equal(errors[0].hint, 'write it as a list: ["jq", "-c", "."]');
  });

  test("on-error and dead-letter are accepted on exec; retry is refused (one process cannot take an item back)", async () => {
    const errors = await check(`stages:
  - use: feeds
  - use: exec
    with: { command: [cat] }
    retry: { attempts: 3 }
    on-error: dead-letter
    dead-letter: ./failed.jsonl
`);
    assert.deepEqual(errors.map((e) => `${e.code} ${e.pos.line}:${e.pos.column}`), [
      "E_CONFIG_NO_EFFECT 5:5",
    ]);
  });
});
