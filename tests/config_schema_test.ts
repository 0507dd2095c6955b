/**
 * The option-schema language: defaults, duration coercion, values from variables coerced to their type,
 * every type's checks, plus parseDuration, suggest and formatPosition.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import {
  DurationError,
  editDistance,
  formatPosition,
  noPositions,
  type OptionSchema,
  parseDuration,
  readYamlWithPositions,
  suggest,
  validateOptions,
} from "../engine/config/mod.ts";

/** Validates the YAML `text` (a mapping of options) against `schema`, with positions and variables. */
function check(schema: OptionSchema, text: string, env: Record<string, string> = {}) {
  const loaded = readYamlWithPositions(text, "o.yaml", env);
  assert.deepEqual(loaded.errors.map((e) => e.message), []);
  return validateOptions(schema, loaded.data, loaded.positions, { subject: "stage `s`" });
}

const reasons = (r: { errors: { reason: string }[] }) => r.errors.map((e) => e.reason);

describe("validateOptions", () => {
  test("defaults are applied, durations become milliseconds, lists are copied", () => {
    const list = ["a"];
    const schema: OptionSchema = {
      timeout: { type: "duration", default: "1m30s", description: "t" },
      wait: { type: "duration", default: 250, description: "w" },
      n: { type: "integer", default: 8, description: "n" },
      on: { type: "boolean", default: false, description: "o" },
      names: { type: "string[]", default: list, description: "l" },
      absent: { type: "string", description: "no default" },
    };
    const r = validateOptions(schema, null, noPositions("stage `s`"));
    assert.deepEqual(r, { value: { timeout: 90_000, wait: 250, n: 8, on: false, names: ["a"] }, errors: [] });
    assert.notEqual(r.value.names, list, "a default list is copied, so a stage cannot change the schema");
  });

  test("given durations are coerced: strings with units and plain numbers", () => {
    const schema: OptionSchema = {
      a: { type: "duration", description: "a" },
      b: { type: "duration", description: "b" },
      c: { type: "duration", description: "c" },
    };
    assert.deepEqual(check(schema, "a: 150ms\nb: 2s\nc: 100\n").value, { a: 150, b: 2000, c: 100 });
  });

  test("a whole `${VAR}` is coerced to the declared type; an empty one means not given", () => {
    const schema: OptionSchema = {
      n: { type: "integer", description: "n" },
      x: { type: "number", description: "x" },
      on: { type: "boolean", description: "on" },
      names: { type: "string[]", description: "names" },
      d: { type: "duration", description: "d" },
      k: { type: "integer", default: 4, description: "k" },
    };
    const r = check(
      schema,
      "n: ${N}\nx: ${X}\non: ${ON}\nnames: ${NAMES}\nd: ${D}\nk: ${K:-}\n",
      { N: "32", X: "0.5", ON: "yes", NAMES: "a, b\nc", D: "2m" },
    );
    assert.deepEqual(r, {
      value: { n: 32, x: 0.5, on: true, names: ["a", "b", "c"], d: 120_000, k: 4 },
      errors: [],
    });
  });

  test("a quoted number is not coerced unless it came from a variable", () => {
    const r = check({ n: { type: "integer", description: "n" } }, 'n: "32"\n');
    assert.deepEqual(reasons(r), ['option `n` for stage `s`: expected integer, got "32"']);
    const bad = check({ n: { type: "integer", description: "n" } }, "n: ${N}\n", { N: "many" });
    assert.equal(bad.errors[0].hint, "the value comes from `${N}`: set N to a valid integer");
  });

  test("a string option keeps a number as it was written", () => {
    const r = check(
      { v: { type: "string", description: "v" }, l: { type: "string[]", description: "l" } },
      "v: 1.10\nl: [1.0, x]\n",
    );
    assert.deepEqual(r.value, { v: "1.10", l: ["1.0", "x"] });
  });

  test("integers, numbers, ranges", () => {
    const schema: OptionSchema = {
      i: { type: "integer", min: 1, description: "i" },
      f: { type: "number", max: 1, description: "f" },
    };
    assert.deepEqual(reasons(check(schema, "i: 1.5\nf: 2\n")), [
      "option `i` for stage `s`: expected integer, got 1.5",
      "option `f` for stage `s`: expected at most 1, got 2",
    ]);
    assert.deepEqual(check(schema, "i: 1\nf: 0.25\n").value, { i: 1, f: 0.25 });
  });

  test("enum and pattern", () => {
    const schema: OptionSchema = {
      mode: { type: "string", enum: ["append", "multiappend"], description: "m" },
      host: { type: "string", pattern: "^[a-z.]+$", description: "a host name" },
    };
    const r = check(schema, "mode: apend\nhost: Bad_Host\n");
    assert.deepEqual(reasons(r), [
      'option `mode` for stage `s`: expected one of append, multiappend, got "apend"',
      'option `host` for stage `s`: "Bad_Host" does not match /^[a-z.]+$/',
    ]);
    assert.equal(r.errors[0].hint, "did you mean `append`?");
  });

  test("a URL with credentials is redacted when an error quotes it", () => {
    const schema: OptionSchema = { url: { type: "string", pattern: "^imaps://", description: "TLS only" } };
    const r = check(schema, "url: imap://bob:hunter2@mail.example:143\n");
    assert.equal(r.errors.length, 1);
    assert.doesNotMatch(r.errors[0].format(), /hunter2/);
    assert.match(r.errors[0].reason, /"imap:\/\/\*\*\*:\*\*\*@mail\.example:143" does not match/);
  });

  test("objects: named properties with unknown keys reported, or any keys with one spec", () => {
    const schema: OptionSchema = {
      retry: {
        type: "object",
        description: "r",
        properties: { attempts: { type: "integer", required: true, description: "tries" } },
      },
      folders: { type: "object", description: "f", additional: { type: "string[]", description: "urls" } },
      free: { type: "object", description: "anything" },
    };
    const r = check(
      schema,
      "retry: { atempts: 2 }\nfolders:\n  News: [u1]\n  Tech: u2\n  Bad: { x: 1 }\nfree: { a: [1] }\n",
    );
    assert.deepEqual(r.errors.map((e) => [e.pos.line, e.pos.column, e.reason, e.hint]), [
      [1, 10, "unknown option `retry.atempts` for stage `s`", "did you mean `attempts`?"],
      [1, 1, "missing required option `retry.attempts` for stage `s`", "add `attempts:` (tries)"],
      [5, 8, "option `folders.Bad` for stage `s`: expected list of strings, got a mapping", undefined],
    ]);
    assert.deepEqual(r.value, { retry: {}, folders: { News: ["u1"], Tech: ["u2"] }, free: { a: [1] } });
  });

  test("a value that is not a mapping at all", () => {
    const r = validateOptions({}, [1], noPositions("stage `s`"), { subject: "stage `s`" });
    assert.deepEqual(reasons(r), ["options for stage `s`: expected a mapping, got a list"]);
  });

  test("aliases accept another spelling and are suggested", () => {
    const schema: OptionSchema = { onError: { type: "string", description: "e" } };
    const aliases = { "on-error": "onError" };
    const good = readYamlWithPositions("on-error: drop\n", "o.yaml", {});
    assert.deepEqual(validateOptions(schema, good.data, good.positions, { aliases }).value, {
      onError: "drop",
    });
    const loaded = readYamlWithPositions("on_error: drop\n", "o.yaml", {});
    const r = validateOptions(schema, loaded.data, loaded.positions, { aliases });
    assert.equal(r.errors[0].hint, "did you mean `on-error`?");
  });

  test("noPositions names the label instead of a file position", () => {
    const r = validateOptions(
      { n: { type: "integer", description: "n" } },
      { n: "x" },
      noPositions("fetch()"),
    );
    assert.equal(r.errors[0].message, 'fetch(): option `n`: expected integer, got "x"');
    assert.equal(r.errors[0].format(), 'fetch(): option `n`: expected integer, got "x"');
  });
});

describe("parseDuration", () => {
  test("units, combinations, fractions and plain milliseconds", () => {
    const cases: [string | number, number][] = [
      ["150ms", 150],
      ["2s", 2000],
      ["1m30s", 90_000],
      ["1h", 3_600_000],
      ["1d", 86_400_000],
      ["1.5s", 1500],
      ["250", 250],
      [" 3m ", 180_000],
      [100, 100],
      [0, 0],
    ];
    for (const [input, ms] of cases) assert.equal(parseDuration(input), ms, String(input));
  });

  test("anything else throws DurationError with a hint", () => {
    for (const bad of ["", "5 minutes", "1x", "s", "-1s", "1m 30s", -5, Number.NaN]) {
      assert.throws(
        () => parseDuration(bad),
        (e: unknown) => e instanceof DurationError && e.hint !== undefined,
      );
    }
  });
});

describe("suggest", () => {
  test("Damerau-Levenshtein: a swap of neighbours is one edit", () => {
    assert.equal(editDistance("fecth", "fetch"), 1);
    assert.equal(editDistance("concurency", "concurrency"), 1);
    assert.equal(editDistance("kitten", "sitting"), 3);
    assert.equal(editDistance("", "abc"), 3);
  });

  test("suggests within two edits or by prefix, never for far or tiny words", () => {
    const names = ["concurrency", "capacity", "placement", "ordered", "timeout", "retry", "id"];
    assert.equal(suggest("concurency", names), "concurrency");
    assert.equal(suggest("Timeuot", names), "timeout");
    assert.equal(suggest("concur", names), "concurrency");
    assert.equal(suggest("retr", names), "retry");
    assert.equal(suggest("retries", names), undefined, "three edits away and not a prefix");
    assert.equal(suggest("zzz", names), undefined);
    assert.equal(suggest("xy", names), undefined);
  });

  test("the closest candidate wins", () => {
    assert.equal(suggest("pool", ["loop", "pool"]), "pool");
    assert.equal(suggest("poll", ["loop", "pool", "process"]), "pool");
  });
});

test("formatPosition renders file:line:column", () => {
  assert.equal(formatPosition({ file: "pipelines/x.yaml", line: 7, column: 5 }), "pipelines/x.yaml:7:5");
});
