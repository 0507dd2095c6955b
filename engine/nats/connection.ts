/**
 * Connections to NATS: one per server list per process, shared by everything that uses it (state store,
 * work queue, leases) and closed when the last user lets go.
 * @module
 */
import { connect, type NatsConnection } from "npm:@nats-io/transport-node@^3.4.0";
import { redactUrl, SluiceError } from "../errors.ts";

/**
 * A shared connection; call `release()` once per {@linkcode openNats}.
 *
 * @example
 * ```ts ignore
 * const link = await openNats("nats://127.0.0.1:4222");
 * console.log(link.nc.getServer());
 * await link.release();
 * ```
 */
export interface NatsLink {
  /** The connection (do not close it: `release()` does when the last user is done). */
  readonly nc: NatsConnection;
  /** The server list as given, credentials hidden, for messages. */
  readonly label: string;
  /** Lets go of the connection; the last release drains and closes it. */
  release(): Promise<void>;
}

interface Shared {
  nc: Promise<NatsConnection>;
  users: number;
}

const open = new Map<string, Shared>();

/**
 * The servers of a `--nats` value: `nats://host:port`, several joined with commas, or `host:port`.
 *
 * @throws SluiceError E_NATS_URL for an empty list or a scheme other than nats:// or tls://
 * @example
 * ```ts
 * import { natsServers } from "./connection.ts";
 * natsServers("nats://a:4222,nats://b:4222"); // ["nats://a:4222", "nats://b:4222"]
 * ```
 */
export function natsServers(url: string): string[] {
  const servers = url.split(",").map((s) => s.trim()).filter(Boolean);
  if (servers.length === 0) {
    throw new SluiceError(
      "E_NATS_URL",
      "no NATS server given",
      "pass --nats nats://HOST:4222 or set NATS_URL",
    );
  }
  for (const s of servers) {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
    if (scheme && !["nats", "tls"].includes(scheme[1].toLowerCase())) {
      throw new SluiceError(
        "E_NATS_URL",
        `\`${redactUrl(s)}\` is not a NATS server URL`,
        "write it as nats://HOST:4222 (several joined with commas)",
      );
    }
  }
  return servers;
}

/**
 * Copies of each stream and bucket: three when `url` lists three or more servers (a cluster), else one.
 *
 * @example
 * ```ts
 * import { replicasFor } from "./connection.ts";
 * replicasFor("nats://a:4222,nats://b:4222,nats://c:4222"); // 3
 * ```
 */
export function replicasFor(url: string): number {
  return natsServers(url).length >= 3 ? 3 : 1;
}

/**
 * Opens (or shares) a connection to the NATS servers in `url`.
 *
 * @throws SluiceError E_NATS_CONNECT (stops the run) when no server answers
 * @example
 * ```ts ignore
 * const link = await openNats(Deno.env.get("NATS_URL") ?? "nats://127.0.0.1:4222");
 * await link.release();
 * ```
 */
export async function openNats(url: string): Promise<NatsLink> {
  const servers = natsServers(url);
  const key = servers.join(",");
  const label = servers.map(redactUrl).join(",");
  let shared = open.get(key);
  if (!shared) {
    const nc = connect({
      servers,
      name: "sluice",
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: 5_000,
    }).catch((cause) => {
      open.delete(key);
      throw new SluiceError(
        "E_NATS_CONNECT",
        `cannot connect to NATS at ${label}: ${(cause as Error).message}`,
        "start it with `nats-server -js` (JetStream on) or fix --nats / NATS_URL",
        { cause, stopsRun: true },
      );
    });
    shared = { nc, users: 0 };
    open.set(key, shared);
  }
  shared.users++;
  const entry = shared;
  let nc: NatsConnection;
  try {
    nc = await entry.nc;
  } catch (e) {
    entry.users--;
    throw e;
  }
  let released = false;
  return {
    nc,
    label,
    async release() {
      if (released) return;
      released = true;
      if (--entry.users > 0) return;
      if (open.get(key) === entry) open.delete(key);
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}
