/**
 * JetStream streams and consumers, opened or created by whichever process comes first.
 * @module
 */
import type { ConsumerConfig, JetStreamManager, StreamConfig } from "npm:@nats-io/jetstream@^3.4.0";
import { retryWhileForming } from "./cluster_forming.ts";

/** JetStream's error codes for "stream not found" and "consumer not found". */
const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;

/**
 * Whether `error` is JetStream saying the stream or consumer asked for does not exist (and not, say, a
 * timeout, which says nothing about whether it exists).
 *
 * @example
 * ```ts
 * import { isNotFound } from "./stream.ts";
 * console.log(isNotFound(new Error("stream not found"))); // true
 * console.log(isNotFound(new Error("timeout"))); // false
 * ```
 */
export function isNotFound(error: unknown): boolean {
  // JetStreamApiError's `code` is the API's err_code; the message is the server's description.
  const code = (error as { code?: unknown })?.code;
  if (code === STREAM_NOT_FOUND || code === CONSUMER_NOT_FOUND) return true;
  return /^(stream|consumer) not found$/i.test((error as Error)?.message ?? "");
}

/**
 * Whether `error` is the server refusing to create a stream, consumer or bucket that another process
 * created first (which the loser of that race takes as success).
 *
 * @example
 * ```ts
 * import { isAlreadyCreated } from "./stream.ts";
 * console.log(isAlreadyCreated(new Error("stream name already in use"))); // true
 * ```
 */
export function isAlreadyCreated(error: unknown): boolean {
  return /already in use|exists/i.test((error as Error)?.message ?? "");
}

/**
 * Opens stream `config.name`, creating it when the server says it does not exist. Several processes may
 * start at once: whoever loses the race to create it finds it created. Failures while the cluster forms are
 * retried; anything else is thrown.
 *
 * @example
 * ```ts ignore
 * await ensureStream(jsm, { name: "SLUICE_WORK", subjects: ["sluice.work.>"], num_replicas: 1 });
 * ```
 */
export async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<void> {
  await retryWhileForming(async () => {
    try {
      await jsm.streams.info(config.name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      try {
        await jsm.streams.add(config);
      } catch (e) {
        if (!isAlreadyCreated(e)) throw e;
      }
    }
  });
}

/**
 * Opens the durable consumer `config.durable_name` of `stream`, creating it when the server says it does not
 * exist; like {@linkcode ensureStream}. `retry` is the policy for passing failures: by default the start-up
 * one (`retryWhileForming`); a running job passes `retryTransient`.
 *
 * @example
 * ```ts ignore
 * await ensureConsumer(jsm, "SLUICE_WORK", { durable_name: "workers", ack_policy: AckPolicy.Explicit });
 * ```
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
  retry: (fn: () => Promise<void>) => Promise<void> = retryWhileForming,
): Promise<void> {
  await retry(async () => {
    try {
      await jsm.consumers.info(stream, config.durable_name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      try {
        await jsm.consumers.add(stream, config);
      } catch (e) {
        if (!isAlreadyCreated(e)) throw e;
      }
    }
  });
}
