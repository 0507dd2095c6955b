/**
 * Type tests: chaining a stage whose input does not accept the previous output is a compile error.
 * `deno check` (the `check` task, run by CI) enforces the `@ts-expect-error` lines; at run time the
 * test only builds the pipelines.
 */
import { test } from "./support/testing.ts";
import assert from "node:assert/strict";
import { branch, chain, filter, fromIterable, map, pipeline, sink } from "../engine/pipeline/mod.ts";

test("mismatched stage types are compile errors (checked by deno check)", () => {
  const numbers = pipeline(fromIterable([1, 2, 3]));
  // @ts-expect-error a stage taking strings cannot follow one producing numbers
  numbers.pipe(map((s: string) => s.length));
  // @ts-expect-error the sink takes strings, the pipeline produces numbers
  numbers.to(sink((s: string) => console.log(s)));
  // @ts-expect-error a branch of string chains cannot take numbers
  numbers.to(branch(chain<string>().to(sink((_s: string) => {}))));
  // narrowing through a type-guard filter is accepted
  const mixed = pipeline(fromIterable<string | number>(["a", 1]));
  const ok = mixed.pipe(filter((x: string | number): x is string => typeof x === "string")).to(
    sink((s: string) => void s.toUpperCase()),
  );
  assert.equal(ok.stages.length, 3);
});
