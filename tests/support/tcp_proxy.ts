/**
 * A loopback TCP proxy that can cut its connections on demand: how tests break an IMAP connection in
 * the middle of a command, at a chosen byte count, without timing guesses.
 *
 * @example
 * ```ts
 * import { startTcpProxy } from "./tcp_proxy.ts";
 * const proxy = await startTcpProxy(1143, { cutAfterClientBytes: 10_000 });
 * // connect to 127.0.0.1:proxy.port; the connection drops after 10 kB from the client
 * await proxy.close();
 * ```
 * @module
 */
import net from "node:net";

/**
 * A running proxy.
 *
 * @example
 * ```ts
 * const p: TcpProxy = await startTcpProxy(1143);
 * p.cutAll();
 * await p.close();
 * ```
 */
export interface TcpProxy {
  /** Port to connect to on 127.0.0.1. */
  port: number;
  /** Bytes the clients sent so far. */
  readonly clientBytes: number;
  /** Everything the clients sent, as latin1 text (only with `record: true`). */
  readonly clientText: string;
  /**
   * With `watchAppends: true`: the most connections that had an IMAP APPEND in flight at the same moment
   * (sent, its tagged answer not yet back), and how many APPEND commands went through.
   */
  readonly appends: { maxConcurrentConnections: number; commands: number; connections: number };
  /** Destroys every proxied connection now (both sides). */
  cutAll(): void;
  /** Cuts everything and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a proxy from a free loopback port to `127.0.0.1:targetPort`.
 *
 * @param targetPort the real server's port
 * @param options `cutAfterClientBytes`: cut all connections once, when clients sent more than this many
 *   bytes in total (later connections pass); `record`: keep what clients sent in `clientText`
 * @returns the proxy
 * @example
 * ```ts
 * const dove = { port: 1143 };
 * const proxy = await startTcpProxy(dove.port, { cutAfterClientBytes: 50_000 });
 * ```
 */
export function startTcpProxy(
  targetPort: number,
  options: { cutAfterClientBytes?: number; record?: boolean; watchAppends?: boolean } = {},
): Promise<TcpProxy> {
  const appends = { maxConcurrentConnections: 0, commands: 0, connections: 0 };
  /** Connections with an APPEND in flight (their outstanding tags). */
  const appending = new Map<net.Socket, Set<string>>();
  const noteAppending = () => {
    let now = 0;
    for (const tags of appending.values()) if (tags.size > 0) now++;
    appends.maxConcurrentConnections = Math.max(appends.maxConcurrentConnections, now);
  };
  const pairs = new Set<[net.Socket, net.Socket]>();
  let clientBytes = 0;
  let clientText = "";
  let cutAt = options.cutAfterClientBytes;
  const latin1 = new TextDecoder("latin1");
  const cutAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: "127.0.0.1", port: targetPort });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      appending.delete(client);
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    // The last bytes of each direction, so a command or answer split between chunks is still seen.
    let clientTail = "\r\n";
    let serverTail = "\r\n";
    let appended = false;
    const tags = new Set<string>();
    if (options.watchAppends) appending.set(client, tags);
    client.on("data", (chunk: Uint8Array) => {
      clientBytes += chunk.length;
      if (options.record) clientText += latin1.decode(chunk);
      if (options.watchAppends) {
        const text = clientTail + latin1.decode(chunk);
        for (const m of text.matchAll(/\r\n([A-Za-z0-9.]+) APPEND /g)) {
          if (m.index! + m[0].length <= clientTail.length) continue; // seen in the last chunk
          tags.add(m[1]);
          appends.commands++;
          if (!appended) appends.connections++;
          appended = true;
        }
        clientTail = text.slice(-64);
        noteAppending();
      }
      if (cutAt !== undefined && clientBytes > cutAt) {
        cutAt = undefined;
        return cutAll();
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Uint8Array) => {
      if (options.watchAppends && tags.size > 0) {
        const text = serverTail + latin1.decode(chunk);
        for (const m of text.matchAll(/\r\n([A-Za-z0-9.]+) (OK|NO|BAD)\b/g)) tags.delete(m[1]);
        serverTail = text.slice(-64);
      } else if (options.watchAppends) serverTail = ("\r\n" + latin1.decode(chunk)).slice(-64);
      client.write(chunk);
    });
    for (const s of pair) {
      s.on("error", end);
      s.on("close", end);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        get clientBytes() {
          return clientBytes;
        },
        get clientText() {
          return clientText;
        },
        appends,
        cutAll,
        close: () => {
          cutAll();
          return new Promise<void>((r) => server.close(() => r()));
        },
      });
    });
  });
}
