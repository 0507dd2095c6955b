/**
 * The test API of the suite: the subset of `node:test` the tests use, the one place where it differs by
 * runtime.
 *
 * Under Bun (and anything but Deno) these are `node:test`'s own functions. Under `deno test` they register
 * `Deno.test` with the sanitizers on (ops, resources, exit), because Deno runs `node:test` files with the
 * sanitizers off and a leaked timer, socket or worker would then pass unnoticed:
 * - a top-level `describe` is one `Deno.test`; its tests and nested describes are steps (`t.step`), and
 *   its `before`/`after` hooks run inside that test, so what `before` opens and `after` closes lives
 *   within one sanitized test;
 * - a top-level `test` is its own `Deno.test`;
 * - file-level hooks (`before`/`after` outside any describe) make the whole file one `Deno.test` named
 *   after the file, for the same reason; they must come before the file's first test;
 * - `{ skip }` becomes `ignore` (the reason is printed), `t.skip(reason)` prints the reason (the test then
 *   returns early and passes), `{ timeout }` fails a test that runs longer;
 * - every test and every hook is bounded: without `{ timeout }` a test fails after
 *   `DEFAULT_TEST_TIMEOUT_MS` (120 s), the bound `bun test --timeout 120000` sets under Bun, so a hung
 *   wait fails its test with a message instead of hanging the run (Deno has no default bound);
 * - what Deno 2.9's sanitizers do not see (`node:net`/`node:http`/`node:tls` servers and sockets, Workers)
 *   is tracked by `handle_tracker.ts`: a top-level test that leaves one open fails too.
 *
 * @example Not run as a doc test: it registers tests, and a doc test, itself a test, cannot.
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { after, before, describe, test } from "./testing.ts";
 *
 * describe("a server", () => {
 *   let open = false;
 *   before(() => { open = true; });
 *   after(() => { open = false; });
 *   test("is open inside the suite", () => assert.equal(open, true));
 * });
 * ```
 * @module
 */
import * as nodeTest from "node:test";
import { runtime } from "../../engine/runtime/mod.ts";
import {
  type DenoTestContext,
  type DenoTestRegistrar,
  denoTestRegistrar,
} from "../../engine/runtime/deno_test.ts";
import { type HandleRange, type HandleTracker, trackHandles } from "./handle_tracker.ts";

/** What a test body receives: the subset of node:test's `TestContext` the suite uses. */
export interface TestContext {
  /** The test's name. */
  readonly name: string;
  /** Marks the test skipped with a reason; the body should return right after. */
  skip(message?: string): void;
}

/** A test body. */
export type TestFn = (t: TestContext) => void | Promise<void>;

/** A `before`/`after`/`beforeEach`/`afterEach` hook. */
export type HookFn = () => void | Promise<void>;

/** Options of `describe` and `test`. */
export interface TestOptions {
  /** Skips the suite or test; a string is the reason, printed. */
  skip?: boolean | string;
  /** Fails the test when it runs longer than this many milliseconds. */
  timeout?: number;
}

/** `describe(name, fn)` or `describe(name, options, fn)`. */
export interface DescribeFunction {
  (name: string, fn: () => void): void;
  (name: string, options: TestOptions, fn: () => void): void;
}

/** `test(name, fn)` or `test(name, options, fn)`. */
export interface TestFunction {
  (name: string, fn: TestFn): void;
  (name: string, options: TestOptions, fn: TestFn): void;
}

/** Registers a hook in the enclosing describe (or for the whole file outside any describe). */
export type HookFunction = (fn: HookFn) => void;

interface Suite {
  kind: "suite";
  name: string;
  skip: string | false;
  parent: Suite | undefined;
  children: (Suite | Case)[];
  before: HookFn[];
  after: HookFn[];
  beforeEach: HookFn[];
  afterEach: HookFn[];
}

interface Case {
  kind: "case";
  name: string;
  skip: string | false;
  timeout: number;
  parent: Suite | undefined;
  fn: TestFn;
}

const SANITIZERS = { sanitizeOps: true, sanitizeResources: true, sanitizeExit: true } as const;

/**
 * How long a test (or a `before`/`after` hook) may run under Deno when it sets no `{ timeout }`: the bound
 * that `bun test --timeout 120000` (package.json's `test:bun`, CI) gives every test under Bun.
 */
const DEFAULT_TEST_TIMEOUT_MS = 120_000;

/** The Deno flavour: collects describes into trees and registers each top-level one as a Deno.test. */
function denoApi(register: DenoTestRegistrar) {
  const handles = trackHandles();
  /** The describe whose body is being collected; undefined at the top level of the file. */
  let current: Suite | undefined;
  /** Set once a file-level hook turns the file into one Deno.test. */
  let fileSuite: Suite | undefined;
  let registeredTopLevel = false;

  function newSuite(name: string, skip: string | false, parent: Suite | undefined): Suite {
    return {
      kind: "suite",
      name,
      skip,
      parent,
      children: [],
      before: [],
      after: [],
      beforeEach: [],
      afterEach: [],
    };
  }

  /**
   * Adds a describe or test to the enclosing describe, or registers it as a Deno.test at the top level.
   * Returns the handle ranges the new Deno.test owns (a describe adds the range of its body, which runs
   * now, at registration) or undefined when it is not top-level.
   */
  function add(node: Suite | Case): HandleRange[] | undefined {
    if (node.skip !== false) console.log(`skipped "${node.name}": ${node.skip}`);
    const parent = current ?? fileSuite;
    if (parent) {
      node.parent = parent;
      parent.children.push(node);
      return undefined;
    }
    registeredTopLevel = true;
    const owned: HandleRange[] = [];
    register({
      name: node.name,
      ignore: node.skip !== false,
      ...SANITIZERS,
      ...(node.kind === "case" ? { timeout: node.timeout } : {}),
      fn: sanitized(
        handles,
        owned,
        (t) => (node.kind === "suite" ? runSuite(node, t) : runCase(node, false)),
      ),
    });
    return owned;
  }

  function hookTarget(kind: string): Suite {
    if (current) return current;
    if (fileSuite) return fileSuite;
    if (registeredTopLevel) {
      throw new Error(
        `file-level ${kind}() after the file's first test: move file-level hooks above every test and ` +
          `describe (under deno test they turn the whole file into one sanitized test)`,
      );
    }
    const suite = newSuite(callerFileName(), false, undefined);
    fileSuite = suite;
    // The whole file is this one test: it owns every handle opened from here on, at load time or later.
    const owned: HandleRange[] = [[handles.mark(), Infinity]];
    register({ name: suite.name, ...SANITIZERS, fn: sanitized(handles, owned, (t) => runSuite(suite, t)) });
    return suite;
  }

  const describe: DescribeFunction = (name: string, a: TestOptions | (() => void), b?: () => void) => {
    const [options, body] = typeof a === "function" ? [{}, a] : [a, b!];
    const suite = newSuite(name, skipReason(options.skip), undefined);
    const owned = add(suite);
    const outer = current;
    current = suite;
    const start = handles.mark();
    try {
      const result: unknown = body();
      if (result instanceof Promise) {
        throw new Error(`describe("${name}") has an async body: register tests synchronously`);
      }
    } finally {
      current = outer;
      // What the body opened (a server, a worker pool) belongs to this describe's Deno.test.
      owned?.push([start, handles.mark()]);
    }
  };

  const test: TestFunction = (name: string, a: TestOptions | TestFn, b?: TestFn) => {
    const [options, fn] = typeof a === "function" ? [{}, a] : [a, b!];
    add({
      kind: "case",
      name,
      skip: skipReason(options.skip),
      timeout: options.timeout ?? DEFAULT_TEST_TIMEOUT_MS,
      parent: undefined,
      fn,
    });
  };

  return {
    describe,
    test,
    before: (fn: HookFn) => void hookTarget("before").before.push(fn),
    after: (fn: HookFn) => void hookTarget("after").after.push(fn),
    beforeEach: (fn: HookFn) => void hookTarget("beforeEach").beforeEach.push(fn),
    afterEach: (fn: HookFn) => void hookTarget("afterEach").afterEach.push(fn),
  };
}

/**
 * Wraps a top-level test body with the check Deno's sanitizers lack: node:net servers and sockets and
 * Workers the test opened must be closed when it ends.
 */
function sanitized(
  handles: HandleTracker,
  owned: readonly HandleRange[],
  body: (t: DenoTestContext) => Promise<void>,
): (t: DenoTestContext) => Promise<void> {
  return async (t) => {
    const start = handles.mark();
    await body(t);
    const ranges = [...owned, [start, Infinity] as const];
    let open = handles.openIn(ranges);
    // A socket destroyed by its peer closes a few turns of the event loop later: give it those turns.
    for (let turn = 0; open.length > 0 && turn < 40; turn++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      open = handles.openIn(ranges);
    }
    if (open.length > 0) {
      throw new Error(
        `Leaks detected (handles Deno's sanitizers do not see):\n${
          open.map((o) => `  - ${o}`).join("\n")
        }\n` +
          `Close servers, end sockets and terminate workers before the test (or its after hook) ends.`,
      );
    }
  };
}

/** Runs a suite inside its Deno.test or step: before hooks, each child as a step, after hooks. */
async function runSuite(suite: Suite, t: DenoTestContext): Promise<void> {
  try {
    for (const hook of suite.before) await bounded(hook, `before() of "${suite.name}"`);
    for (const child of suite.children) {
      // A failed step fails this test too; the remaining steps still run, as node:test does.
      await t.step({
        name: child.name,
        ignore: child.skip !== false,
        fn: (step) => (child.kind === "suite" ? runSuite(child, step) : runCase(child, true)),
      });
    }
  } finally {
    for (const hook of suite.after) await bounded(hook, `after() of "${suite.name}"`);
  }
}

/** Runs a hook within {@linkcode DEFAULT_TEST_TIMEOUT_MS}: a hung hook fails with its name. */
function bounded(hook: HookFn, name: string): Promise<void> {
  return withTimeout(Promise.resolve().then(hook), DEFAULT_TEST_TIMEOUT_MS, name);
}

/** Runs one test with the beforeEach/afterEach hooks of every enclosing describe. */
async function runCase(c: Case, ownTimeout: boolean): Promise<void> {
  const suites: Suite[] = [];
  for (let s = c.parent; s; s = s.parent) suites.unshift(s);
  const context: TestContext = {
    name: c.name,
    skip: (message) => console.log(`skipped "${c.name}"${message ? `: ${message}` : ""}`),
  };
  for (const suite of suites) {
    for (const hook of suite.beforeEach) await bounded(hook, `beforeEach() of "${suite.name}"`);
  }
  try {
    const run = Promise.resolve().then(() => c.fn(context));
    await (ownTimeout ? withTimeout(run, c.timeout, `test "${c.name}"`) : run);
  } finally {
    for (const suite of suites.reverse()) {
      for (const hook of suite.afterEach) await bounded(hook, `afterEach() of "${suite.name}"`);
    }
  }
}

/** Rejects when `work` takes longer than `ms` (steps have no timeout option of their own). */
async function withTimeout(work: Promise<void>, ms: number, name: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} timed out after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function skipReason(skip: boolean | string | undefined): string | false {
  if (typeof skip === "string") return skip || "skipped";
  return skip ? "skipped" : false;
}

/** The test file that called into this module (the first stack frame outside it), for naming. */
function callerFileName(): string {
  const self = import.meta.url;
  const frames = (new Error().stack ?? "").split("\n");
  for (const frame of frames) {
    const match = frame.match(/(file:\/\/[^\s)]+?):\d+:\d+/);
    if (match && match[1] !== self) return match[1].slice(match[1].lastIndexOf("/") + 1);
  }
  return "file-level hooks";
}

const register = runtime.name === "deno" ? denoTestRegistrar() : undefined;
const api = register ? denoApi(register) : {
  describe: nodeTest.describe as unknown as DescribeFunction,
  test: nodeTest.test as unknown as TestFunction,
  before: nodeTest.before as unknown as HookFunction,
  after: nodeTest.after as unknown as HookFunction,
  beforeEach: nodeTest.beforeEach as unknown as HookFunction,
  afterEach: nodeTest.afterEach as unknown as HookFunction,
};

/**
 * Groups tests; under Deno a top-level describe is one sanitized `Deno.test` with its tests as steps.
 *
 * @example Not run as a doc test: it registers tests, and a doc test, itself a test, cannot.
 * ```ts ignore
 * import { describe, test } from "./testing.ts";
 * describe("math", () => {
 *   test("adds", () => {
 *     if (1 + 1 !== 2) throw new Error("1 + 1");
 *   });
 * });
 * ```
 */
export const describe: DescribeFunction = api.describe;

/**
 * Registers a test; options `{ skip, timeout }`.
 *
 * @example Not run as a doc test: it registers tests, and a doc test, itself a test, cannot.
 * ```ts ignore
 * import { test } from "./testing.ts";
 * test("skipped when there is no server", { skip: "no server here" }, () => {});
 * ```
 */
export const test: TestFunction = api.test;

/**
 * The same as {@linkcode test}.
 *
 * @example Not run as a doc test: it registers tests, and a doc test, itself a test, cannot.
 * ```ts ignore
 * import { it } from "./testing.ts";
 * it("works", () => {});
 * ```
 */
export const it: TestFunction = api.test;

/**
 * Runs once before the tests of the enclosing describe (or of the file).
 *
 * @example Not run as a doc test: it registers tests, and a doc test, itself a test, cannot.
 * ```ts ignore
 * import { before, describe } from "./testing.ts";
 * describe("suite", () => {
 *   before(() => console.log("start the server"));
 * });
 * ```
 */
export const before: HookFunction = api.before;

/**
 * Runs once after the tests of the enclosing describe (or of the file), also when one failed.
 *
 * @example Not run as a doc test: it registers tests, and a doc test, itself a test, cannot.
 * ```ts ignore
 * import { after, describe } from "./testing.ts";
 * describe("suite", () => {
 *   after(() => console.log("stop the server"));
 * });
 * ```
 */
export const after: HookFunction = api.after;

/**
 * Runs before each test of the enclosing describe and of the describes inside it.
 *
 * @example Not run as a doc test: it registers tests, and a doc test, itself a test, cannot.
 * ```ts ignore
 * import { beforeEach, describe } from "./testing.ts";
 * describe("suite", () => {
 *   beforeEach(() => console.log("fresh state"));
 * });
 * ```
 */
export const beforeEach: HookFunction = api.beforeEach;

/**
 * Runs after each test of the enclosing describe and of the describes inside it, also when it failed.
 *
 * @example Not run as a doc test: it registers tests, and a doc test, itself a test, cannot.
 * ```ts ignore
 * import { afterEach, describe } from "./testing.ts";
 * describe("suite", () => {
 *   afterEach(() => console.log("clean up"));
 * });
 * ```
 */
export const afterEach: HookFunction = api.afterEach;
