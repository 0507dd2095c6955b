/**
 * The errors the worker pool raises itself (a task's own errors come back as they were thrown).
 * @module
 */
import { SluiceError } from "../errors.ts";

/**
 * The worker running a task died before answering: the task called `self.close()` or `process.exit()`,
 * or threw outside the task's promise (an error in a timer callback, an unhandled rejection). The pool
 * has already replaced the worker; the task did not finish.
 *
 * @example
 * ```ts
 * import { WorkerCrashedError } from "./pool_errors.ts";
 * const e = new WorkerCrashedError("file:///t.ts#crunch", "uncaught Error: boom");
 * console.log(e.code); // "E_POOL_WORKER_CRASHED"
 * ```
 */
export class WorkerCrashedError extends SluiceError {
  /** `module#export` of the task that was running. */
  readonly task: string;
  /** What the worker reported (or what the pool observed) as the cause. */
  readonly reason: string;

  /**
   * Creates the error with code `E_POOL_WORKER_CRASHED`; the task that was running is rejected with it.
   *
   * @param task `module#export` of the task that was running
   * @param reason what ended the worker
   */
  constructor(task: string, reason: string) {
    super(
      "E_POOL_WORKER_CRASHED",
      `the pool worker running ${task} crashed: ${reason}`,
      "a task must not close its worker or leave errors outside its returned promise; " +
        "await every timer and promise it starts (the pool replaced the worker)",
    );
    this.task = task;
    this.reason = reason;
  }
}

/**
 * The pool was closed: before `run` was called, or while the task waited or ran.
 *
 * @example
 * ```ts
 * import { PoolClosedError } from "./pool_errors.ts";
 * console.log(new PoolClosedError("file:///t.ts#crunch").code); // "E_POOL_CLOSED"
 * ```
 */
export class PoolClosedError extends SluiceError {
  /**
   * Creates the error with code `E_POOL_CLOSED`, naming the task.
   *
   * @param task `module#export` of the task that could not run
   */
  constructor(task: string) {
    super(
      "E_POOL_CLOSED",
      `the worker pool is closed; task ${task} did not run to completion`,
      "close the pool only after every pool.run(...) promise has settled",
    );
  }
}

/**
 * A task reference the pool cannot load: a relative module path, a module that fails to import, or an
 * export that is not a function.
 *
 * @example
 * ```ts
 * import { PoolTaskModuleError } from "./pool_errors.ts";
 * const e = new PoolTaskModuleError("./t.ts", "a relative path", "use new URL(...)");
 * console.log(e.code); // "E_POOL_TASK_MODULE"
 * ```
 */
export class PoolTaskModuleError extends SluiceError {
  /**
   * Creates the error with code `E_POOL_TASK_MODULE`, naming the module.
   *
   * @param module the module as given
   * @param problem what is wrong with it
   * @param hint what to do
   */
  constructor(module: string, problem: string, hint: string) {
    super("E_POOL_TASK_MODULE", `pool task module ${module}: ${problem}`, hint);
  }
}
