/**
 * Paths in a pipeline file: written literally they are relative to the file's folder (like `use:`); from a
 * whole `${VAR}` they are relative to the working folder, as on a command line; `-`, URLs, absolute paths
 * and `kv:` / `memory:` locations are kept.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import path from "node:path";
import { parsePipelineConfig } from "../engine/config/mod.ts";
import { builtinStages } from "../stages/registry.ts";

const file = path.resolve("/srv/pipelines/p.yaml");
const load = (yaml: string, env: Record<string, string> = {}) =>
  parsePipelineConfig(`name: p\n${yaml}`, file, { catalog: builtinStages(), env: (n) => env[n] });

describe("paths in with: and state:", () => {
  test("literal paths are relative to the pipeline file", async () => {
    const spec = await load(
      "state: ./st\nstages:\n  - use: read\n    with: { path: in/events.jsonl }\n  - use: write\n    with: { path: ../out.jsonl }\n",
    );
    assert.equal(spec.state, path.resolve("/srv/pipelines/st"));
    assert.equal(spec.stages[0].with.path, path.resolve("/srv/pipelines/in/events.jsonl"));
    assert.equal(spec.stages[1].with.path, path.resolve("/srv/out.jsonl"));
  });

  test("a path from a variable is relative to the working folder; -, URLs and kv: are kept", async () => {
    const spec = await load(
      'state: kv:./state.kv\nstages:\n  - use: feeds\n    with: { list: "https://example.org/feeds.txt" }\n' +
        "  - use: fetch\n  - use: parse\n  - use: dedupe\n  - use: rewrite-images\n  - use: mime\n" +
        '  - use: mailbox\n    with: { maildir: "${MAILDIR}" }\n',
      { MAILDIR: "mail" },
    );
    assert.equal(spec.state, "kv:./state.kv");
    assert.equal(spec.stages[0].with.list, "https://example.org/feeds.txt");
    assert.equal(spec.stages.at(-1)!.with.maildir, "mail");
    const stdio = await load(
      'stages:\n  - use: read\n    with: { path: "-", format: lines }\n  - use: write\n    with: { path: "-" }\n',
    );
    assert.deepEqual(stdio.stages.map((s) => s.with.path), ["-", "-"]);
  });
});
