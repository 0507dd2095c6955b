/**
 * `${VAR}` interpolation: defaults, unset variables, `$$` escapes, references inside longer strings, and
 * the positions of the references reported through the YAML reader.
 */
import { describe, test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { interpolate, readYamlWithPositions } from "../engine/config/mod.ts";

describe("interpolate", () => {
  test("fills a variable, and marks a string that was exactly one reference", () => {
    const whole = interpolate("${N}", { N: "32" });
    assert.equal(whole.value, "32");
    assert.equal(whole.wholeVariable, true);
    const inside = interpolate("imap://${USER}@${HOST}:143/", { USER: "bob", HOST: "mail" });
    assert.equal(inside.value, "imap://bob@mail:143/");
    assert.equal(inside.wholeVariable, false);
    assert.deepEqual(inside.references.map((r) => [r.name, r.index, r.length]), [["USER", 7, 7], [
      "HOST",
      15,
      7,
    ]]);
  });

  test("a default applies when the variable is unset or empty, like a shell's :-", () => {
    assert.equal(interpolate("${PORT:-143}", {}).value, "143");
    assert.equal(interpolate("${PORT:-143}", { PORT: "" }).value, "143");
    assert.equal(interpolate("${PORT:-143}", { PORT: "993" }).value, "993");
    assert.equal(interpolate("${LIST:-}", {}).value, "");
    assert.equal(interpolate("a ${X:-b c} d", {}).value, "a b c d");
    assert.deepEqual(interpolate("${PORT:-143}", {}).unset, []);
  });

  test("an unset variable without default is reported, not emptied silently", () => {
    const r = interpolate("x${TOKEN}y${OTHER}", { OTHER: "" });
    assert.deepEqual(r.unset.map((u) => [u.name, u.index]), [["TOKEN", 1]]);
    assert.equal(r.value, "xy", "an empty but set variable is used as is");
  });

  test("$$ is a literal $, and a $ not followed by { stays", () => {
    assert.equal(interpolate("costs $$5 and $${HOME}", { HOME: "/h" }).value, "costs $5 and ${HOME}");
    assert.equal(interpolate("$5 $ $x", {}).value, "$5 $ $x");
    assert.equal(interpolate("end$", {}).value, "end$");
  });

  test("malformed references are reported with what is wrong", () => {
    assert.match(interpolate("${1X}", {}).malformed[0].problem, /not a variable name/);
    assert.match(interpolate("a ${X", {}).malformed[0].problem, /never closed/);
    assert.match(interpolate("${A:-${B}}", {}).malformed[0].problem, /cannot contain another/);
  });

  test("a lookup function works as the environment", () => {
    assert.equal(interpolate("${A}", (name) => name.toLowerCase()).value, "a");
  });
});

describe("interpolation while reading YAML", () => {
  test("variables are filled in every string scalar, numbers stay numbers", () => {
    const { data, errors } = readYamlWithPositions(
      "a: ${A}\nb:\n  - x${A}\n  - 'q ${A}'\n  - \"d ${A}\"\nc: 3\n",
      "v.yaml",
      { A: "1" },
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(data, { a: "1", b: ["x1", "q 1", "d 1"], c: 3 });
  });

  test("an unset variable is reported at its own column, also inside quotes and after escapes", () => {
    const { errors } = readYamlWithPositions(
      'a: "tab\\there ${NOPE}"\nb: ok ${A} then ${NOPE}\nc: |\n  line\n  ${NOPE}\n',
      "v.yaml",
      { A: "1" },
    );
    assert.deepEqual(errors.map((e) => [e.pos.line, e.pos.column, e.span.length, e.code]), [
      [1, 15, 7, "E_CONFIG_UNSET_VARIABLE"],
      [2, 17, 7, "E_CONFIG_UNSET_VARIABLE"],
      [5, 3, 7, "E_CONFIG_UNSET_VARIABLE"],
    ]);
    assert.equal(errors[0].hint, "set NOPE or write ${NOPE:-default}");
  });

  test("the same variable twice in one string: the second one is found where it is", () => {
    const { errors } = readYamlWithPositions("a: ${X:-1} ${X}\n", "v.yaml", {});
    assert.deepEqual(errors.map((e) => e.pos.column), [12]);
  });

  test("keys are not interpolated, and a whole-variable value is marked as coming from it", () => {
    const { data, positions } = readYamlWithPositions("${K}: ${V}\nw: x${V}\n", "v.yaml", { K: "k", V: "v" });
    assert.deepEqual(data, { "${K}": "v", w: "xv" });
    assert.equal(positions.child("${K}").fromVariable(), "V");
    assert.equal(positions.child("w").fromVariable(), undefined);
  });

  test("a malformed reference is an error with a hint about $$", () => {
    const { errors } = readYamlWithPositions("a: price ${1}\n", "v.yaml", {});
    assert.equal(errors[0].code, "E_CONFIG_BAD_VARIABLE");
    assert.equal(errors[0].pos.column, 10);
    assert.match(errors[0].hint!, /write \$\$ for a literal \$/);
  });
});
