/**
 * A CLI that helps: a misspelt command gets a suggestion, an unknown help topic lists the topics, and
 * `stages` lists the built-in stages from the registry (every one, with its types, options and an
 * example that its own option schema accepts).
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { noPositions, readYamlWithPositions, validateOptions } from "../engine/config/mod.ts";
import { builtinStages } from "../stages/registry.ts";
import { describeStage, stagesCommand } from "../cli/stages_command.ts";
import { runCliChild } from "./support/cli_child.ts";

describe("a CLI that helps", () => {
  test("`cli.ts chek FILE` suggests `check` (exit 64); `help nosuch` lists the topics (exit 1)", async () => {
    const typo = await runCliChild(["chek", "pipelines/rss2imap.yaml"], {});
    assert.equal(typo.code, 64);
    assert.match(typo.stderr, /unknown command `chek`; did you mean `check`\?/);
    const help = await runCliChild(["help", "nosuch"], {});
    assert.equal(help.code, 1);
    assert.match(help.stderr, /no help topic `nosuch`/);
    for (const topic of ["run", "check", "plan", "state", "test", "stages"]) {
      assert.match(help.stderr, new RegExp(`topics: .*\\b${topic}\\b`), topic);
    }
    const stages = await runCliChild(["stages", "fetch"], {});
    assert.equal(stages.code, 0, stages.stderr);
    assert.match(stages.stdout, /FeedRef -> FetchedFeed/);
  });

  test("`stages` lists every registered stage with its item types and options", () => {
    const out: string[] = [];
    assert.equal(stagesCommand(undefined, (t) => out.push(t), (t) => out.push(t)), 0);
    const text = out.join("\n");
    const registry = builtinStages();
    for (const name of registry.names()) {
      const f = registry.get(name)!;
      assert.match(text, new RegExp(`^  ${name} +${escape(f.inType)} -> ${escape(f.outType)}$`, "m"), name);
      for (const option of Object.keys(f.options)) assert.ok(text.includes(option), `${name}: ${option}`);
    }
  });

  test("`stages NAME` shows an example for every stage, and the stage's schema accepts it", () => {
    const registry = builtinStages();
    for (const name of registry.names()) {
      const f = registry.get(name)!;
      const text = describeStage(f);
      const example = text.slice(text.indexOf("Example:\n") + "Example:\n".length).replace(/^ {2}/gm, "");
      const env = { IMAP_URL: "imaps://user:secret@mail.example.org", FEEDS: "feeds.txt" };
      const loaded = readYamlWithPositions(example, name, env);
      assert.deepEqual(loaded.errors.map((e) => e.message), [], name);
      const items = loaded.data as Array<{ use: string; with?: unknown }>;
      assert.equal(items[0].use, name);
      // A factory's own example must be valid; one made from the schema has placeholders for required options.
      if (f.example) {
        const checked = validateOptions(f.options, items[0].with ?? null, noPositions(name));
        assert.deepEqual(checked.errors.map((e) => e.message), [], name);
      }
    }
    const err: string[] = [];
    assert.equal(stagesCommand("fecth", () => {}, (t) => err.push(t)), 1);
    assert.match(err.join(""), /did you mean `fetch`/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
