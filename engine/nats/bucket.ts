/**
 * Key-value buckets on NATS JetStream, opened or created by whichever process comes first.
 * @module
 */
import type { KV, Kvm } from "npm:@nats-io/kv@^3.4.0";
import { retryWhileForming } from "./cluster_forming.ts";
import { isAlreadyCreated } from "./stream.ts";

/**
 * Opens a KV bucket, creating it when missing. With several processes starting at once, each may try to
 * create it; the server accepts the same configuration twice.
 *
 * @example
 * ```ts ignore
 * const kv = await openBucket(new Kvm(nc), "sluice_state", { history: 1, replicas: 1 });
 * ```
 */
export async function openBucket(
  kvm: Kvm,
  name: string,
  config: { history?: number; replicas?: number; ttl?: number },
): Promise<KV> {
  // Reads go to the stream's leader: a replica may answer a direct get before it applied the last
  // writes, and a holder deciding whether to send a message must see every delivered record and mark.
  const options = { ...config, allow_direct: false };
  // A cluster elects its JetStream leader (and gathers its peers) a moment after the routes are up: retry.
  return await retryWhileForming(async () => {
    try {
      return await kvm.create(name, options);
    } catch (e) {
      if (isAlreadyCreated(e)) return await kvm.open(name, { allow_direct: false });
      throw e;
    }
  });
}
