/**
 * The concurrency kernel of sluice: Go-style channels and `select`, tasks and task groups, async
 * synchronisation primitives, single-owner actors, the worker pool and process streams.
 *
 * @example
 * ```ts
 * import { chan, go, recvCase, select } from "./mod.ts";
 * const ch = chan<number>(16);
 * go(async () => { for (let i = 0; i < 3; i++) await ch.send(i); ch.close(); });
 * for await (const n of ch) console.log(n);
 * console.log(await select([recvCase(ch)], { timeout: 10 })); // { index: 0, value: undefined, ok: false }
 * ```
 * @module
 */
export { chan } from "./channel.ts";
export type {
  Channel,
  ChannelOpOptions,
  ChanOptions,
  ReceiveChannel,
  RecvResult,
  SendChannel,
} from "./channel.ts";
export { recvCase, select, sendCase } from "./select.ts";
export type { RecvCase, SelectCase, SelectOptions, SelectResult, SendCase } from "./select.ts";
export { go } from "./go.ts";
export { TaskGroup } from "./task_group.ts";
export type { GroupTask, TaskGroupOptions } from "./task_group.ts";
export { Mutex } from "./mutex.ts";
export { Semaphore } from "./semaphore.ts";
export { Event } from "./event.ts";
export { Barrier } from "./barrier.ts";
export { WaitGroup } from "./wait_group.ts";
export type { WaitOptions } from "./sync_waiter.ts";
export { isConnectionError, owner } from "./owner.ts";
export type {
  ActionContext,
  CallOptions,
  Owner,
  OwnerAction,
  OwnerCalls,
  OwnerSpec,
  ReconnectPolicy,
} from "./owner.ts";
export { ChannelClosedError, KernelUsageError, OwnerClosedError, OwnerReconnectError } from "./errors.ts";
export * from "./worker_pool.ts";
export * from "./process_stream.ts";
export * from "./answer_ledger.ts";
export { GroupCommit } from "./group_commit.ts";
export { backoffDelay, type BackoffLimits, sleep } from "./backoff.ts";
