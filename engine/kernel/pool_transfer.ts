/**
 * How a pool task hands buffers back to the main thread without copying them. Task modules import
 * {@linkcode transferResult} from here; the worker entry unwraps it.
 *
 * The rule, in one place:
 * - a task that returns `transferResult(value, list)` has exactly the buffers in `list` moved (an empty
 *   list moves nothing: use it when the task keeps the buffer, e.g. a module-level cache);
 * - any other result is inspected one level deep: when the result itself, or a direct element/property of
 *   a plain array or object, is an `ArrayBuffer` or a typed array that spans its whole buffer, that buffer
 *   is moved. Views on part of a buffer (Node's pooled `Buffer`s, slices) are copied instead, because
 *   moving them would detach memory the task may still use.
 * @module
 */

/**
 * Brand of a {@linkcode TransferResult}; `Symbol.for` so the worker entry sees the same symbol even when a
 * task module loads sluice from another URL. Exported for the type only: make results with
 * {@linkcode transferResult}.
 *
 * @example
 * ```ts
 * transferResult(1, [])[TRANSFER_RESULT]; // true
 * ```
 */
export const TRANSFER_RESULT: unique symbol = Symbol.for("sluice.pool.transferResult");

/** A result wrapped with the list of buffers to move; made by {@linkcode transferResult}. */
export interface TransferResult<T> {
  /** Brand (a `Symbol.for` key) by which the worker entry recognises a wrapped result. */
  readonly [TRANSFER_RESULT]: true;
  /** What `pool.run` resolves with, unwrapped. */
  readonly value: T;
  /** The buffers moved to the main thread (detached in the worker); empty moves nothing. */
  readonly transfer: Transferable[];
}

/**
 * Wraps a pool task's result so that the buffers in `transfer` are moved to the main thread rather than
 * copied. The caller of `pool.run` receives `value`, unwrapped.
 *
 * @param value what `pool.run` resolves with
 * @param transfer the buffers to move (they become detached inside the worker)
 * @returns the wrapped result for the worker entry to unwrap
 * @example
 * ```ts
 * import { transferResult } from "./pool_transfer.ts";
 * export function render(size: number) {
 *   const pixels = new Uint8Array(size);
 *   return transferResult({ pixels, size }, [pixels.buffer]);
 * }
 * ```
 */
export function transferResult<T>(value: T, transfer: Transferable[]): TransferResult<T> {
  return { [TRANSFER_RESULT]: true, value, transfer };
}

/**
 * Splits a task's return value into what to post and what to transfer, following the module rule.
 *
 * @param result what the task returned (after awaiting)
 * @returns the value to post and the buffers to move
 * @example
 * ```ts
 * import { unwrapTaskResult } from "./pool_transfer.ts";
 * const { value, transfer } = unwrapTaskResult(new Uint8Array(4));
 * console.log(transfer.length); // 1
 * ```
 */
export function unwrapTaskResult(result: unknown): { value: unknown; transfer: Transferable[] } {
  if (isTransferResult(result)) return { value: result.value, transfer: result.transfer };
  const transfer: Transferable[] = [];
  const own = wholeBuffer(result);
  if (own) transfer.push(own);
  else if (Array.isArray(result)) {
    for (const item of result) addWhole(transfer, item);
  } else if (
    result !== null && typeof result === "object" && Object.getPrototypeOf(result) === Object.prototype
  ) {
    for (const key in result) addWhole(transfer, (result as Record<string, unknown>)[key]);
  }
  return { value: result, transfer };
}

function isTransferResult(x: unknown): x is TransferResult<unknown> {
  return x !== null && typeof x === "object" && (x as Record<symbol, unknown>)[TRANSFER_RESULT] === true;
}

function addWhole(list: Transferable[], x: unknown): void {
  const buf = wholeBuffer(x);
  if (buf && !list.includes(buf)) list.push(buf);
}

/** The ArrayBuffer `x` is or fully spans; undefined for partial views and SharedArrayBuffers. */
function wholeBuffer(x: unknown): ArrayBuffer | undefined {
  if (x instanceof ArrayBuffer) return x.byteLength > 0 ? x : undefined;
  if (ArrayBuffer.isView(x) && x.buffer instanceof ArrayBuffer) {
    const b = x.buffer;
    return x.byteOffset === 0 && x.byteLength === b.byteLength && b.byteLength > 0 ? b : undefined;
  }
  return undefined;
}
