/**
 * Access to Deno's own test registrar (`Deno.test`), the only place outside the adapters that looks for
 * it. `tests/support/testing.ts` uses it to register tests with Deno's sanitizers on; under Bun (and
 * anything else) it is undefined and the tests use `node:test`.
 * @module
 */

/** A step's context: the subset of `Deno.TestContext` the test shim uses. */
export interface DenoTestContext {
  /** The test's or step's name. */
  readonly name: string;
  /** Runs a nested step; resolves to false when it failed (the parent then fails too). */
  step(definition: DenoTestStepDefinition): Promise<boolean>;
}

/** A nested step: the subset of `Deno.TestStepDefinition` the test shim uses. */
export interface DenoTestStepDefinition {
  /** The step's name. */
  name: string;
  /** Skips the step (reported as ignored). */
  ignore?: boolean;
  /** The step's body. */
  fn: (t: DenoTestContext) => void | Promise<void>;
}

/** A top-level test: the subset of `Deno.TestDefinition` the test shim uses. */
export interface DenoTestDefinition extends DenoTestStepDefinition {
  /** Fails the test when it started async work (timers, reads) it did not finish. */
  sanitizeOps?: boolean;
  /** Fails the test when it left resources (sockets, files, workers) open. */
  sanitizeResources?: boolean;
  /** Fails the test when it called `Deno.exit`. */
  sanitizeExit?: boolean;
  /** Fails the test after this many milliseconds. */
  timeout?: number;
}

/** `Deno.test` as far as the test shim needs it. */
export type DenoTestRegistrar = (definition: DenoTestDefinition) => void;

/**
 * Returns `Deno.test` when this process runs under `deno test`, otherwise undefined.
 *
 * @returns the registrar, or undefined under Bun, Node or a Deno without a test runner
 * @example
 * ```ts
 * import { denoTestRegistrar } from "./deno_test.ts";
 * const register = denoTestRegistrar();
 * console.log(register ? "deno test" : "node:test");
 * ```
 */
export function denoTestRegistrar(): DenoTestRegistrar | undefined {
  // deno-lint-ignore no-explicit-any
  const test = (globalThis as any).Deno?.test;
  return typeof test === "function" ? (test as DenoTestRegistrar) : undefined;
}
