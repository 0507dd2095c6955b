/**
 * `cli.ts test FILE`: the cases beside a pipeline run with its real stages; rss2imap's own cases pass,
 * a failing case exits 1 with a diff of its first mismatch, and a malformed case is reported at
 * file:line:col before anything runs.
 */
import { after, before, describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runCliChild } from "./support/cli_child.ts";
import { compareItems, headersOf, itemDiff } from "../engine/test_cases/mod.ts";

const stagesModule = fileURLToPath(new URL("./fixtures/cli/stages.ts", import.meta.url));
let dir = "";

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sluice-test-cmd-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function pipelineWithTests(name: string, tests: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(
    file,
    `name: numbers
stages:
  - use: ${stagesModule}#numbers
  - use: ${stagesModule}#double
    concurrency: 4
  - use: ${stagesModule}#lines
    with:
      file: ${dir}/never-written.txt
tests:
${tests}`,
  );
  return file;
}

describe("cli.ts test", () => {
  test("rss2imap's cases pass: a feed document in, the composed message's headers out", async () => {
    const r = await runCliChild(["test", "pipelines/rss2imap.yaml"], {});
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok {5}an RSS entry becomes a message/m);
    assert.match(r.stdout, /2 passed, 0 failed/);
  });

  test("items fed into a source or a stage, compared where they arrive; a mismatch exits 1 with a diff", async () => {
    const file = await pipelineWithTests(
      "numbers.yaml",
      `  - name: the source replaced by the case's items, the sink by an in-memory one
    replace: [lines]
    input: { items: [1, 2, 3] }
    expect: { items: [2, 4, 6] }
  - name: items fed into double, expected where they reach lines
    replace: [lines]
    input: { stage: double, items: [5] }
    expect: { stage: lines, items: [10] }
  - name: a wrong expectation
    replace: [lines]
    input: { stage: double, items: [1] }
    expect: { items: [3] }
`,
    );
    const r = await runCliChild(["test", file], {});
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok {5}the source replaced/m);
    assert.match(r.stdout, /^ok {5}items fed into double/m);
    assert.match(r.stdout, new RegExp(`^FAILED a wrong expectation \\(${escape(file)}:18:5\\)`, "m"));
    assert.match(r.stdout, /first mismatch: item 1: expected 3, got 2/);
    assert.match(r.stdout, /^ {7}- 3$/m);
    assert.match(r.stdout, /^ {7}\+ 2$/m);
    assert.match(r.stdout, /2 passed, 1 failed/);
  });

  test("a malformed case is reported at file:line:col with a hint, and nothing runs", async () => {
    const file = await pipelineWithTests(
      "bad.yaml",
      `  - name: unknown stage and key
    input: { stage: dubble, items: [1] }
    expct: { items: [2] }
  - name: not a list
    input: { items: 1 }
    expect: { items: [] }
`,
    );
    const r = await runCliChild(["test", file], {});
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`${escape(file)}:12:5: unknown option \`expct\` for test \`unknown stage and key\``),
    );
    assert.match(r.stderr, /did you mean `expect`\?/);
    assert.match(
      r.stderr,
      new RegExp(`${escape(file)}:14:21: \`input.items\` of test \`not a list\` must be a list`),
    );
    assert.doesNotMatch(r.stdout, /passed/);

    const unknownStage = await pipelineWithTests(
      "unknown.yaml",
      `  - name: unknown stage
    input: { stage: dubble, items: [1] }
    expect: { items: [2] }
`,
    );
    const u = await runCliChild(["test", unknownStage], {});
    assert.equal(u.code, 1);
    assert.match(
      u.stderr,
      new RegExp(
        `${escape(unknownStage)}:11:21: test \`unknown stage\`: the pipeline has no stage \`dubble\``,
      ),
    );
    assert.match(u.stderr, /hint: did you mean `double`\?/);

    // A mistake in the pipeline itself is reported once, not once per case.
    const broken = path.join(dir, "broken.yaml");
    await writeFile(
      broken,
      `stages:\n  - use: ${stagesModule}#numbers\n    with: { cont: 3 }\ntests:\n` +
        `  - { name: a, input: { items: [] }, expect: { items: [] } }\n` +
        `  - { name: b, input: { items: [] }, expect: { items: [] } }\n`,
    );
    const b = await runCliChild(["test", broken], {});
    assert.equal(b.code, 1);
    assert.equal(b.stderr.split("unknown option `cont`").length - 1, 1, b.stderr);
  });

  test("matching: extra keys ignored, any order, bytes as text, headers of a message", () => {
    assert.equal(compareItems([{ n: 2 }, { n: 1 }], [{ n: 1, more: true }, { n: 2 }]), undefined);
    const raw = new TextEncoder().encode("Subject: Hi\r\n there\r\nTo: a@b\r\n\r\nbody");
    assert.equal(
      compareItems([{ raw: { headers: { subject: "Hi there" }, contains: "body" } }], [{ raw }]),
      undefined,
    );
    assert.deepEqual(headersOf("A: 1\nA: 2\n\nx"), { a: "1, 2" });
    const m = compareItems([{ raw: { headers: { To: "c@d" } } }], [{ raw }]);
    assert.equal(m?.path, ".raw.headers.To");
    assert.deepEqual(itemDiff({ a: 1, b: 2 }, { a: 1, b: 3 }), ["  a: 1", "- b: 2", "+ b: 3"]);
    assert.match(compareItems([1], [1, 2])?.note ?? "", /expected 1 item, got 2/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
