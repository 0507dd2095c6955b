/**
 * The two things every private test server launcher (Dovecot, Cyrus, nats-server) needs on 127.0.0.1:
 * free ports to start on, and a probe that says when the IMAP server greets.
 * @module
 */
import net from "node:net";

/**
 * A TCP port free on 127.0.0.1 right now (the OS picks it; a server started at once gets it).
 *
 * @example
 * ```ts
 * import { freePort } from "./loopback.ts";
 * console.log((await freePort()) > 0); // true
 * ```
 */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/**
 * `n` distinct TCP ports free on 127.0.0.1 right now: each is held until all are found, so the OS cannot
 * hand out one twice (a cluster of servers needs one port per node and route).
 *
 * @example
 * ```ts
 * import { freePorts } from "./loopback.ts";
 * const ports = await freePorts(3);
 * console.log(new Set(ports).size); // 3
 * ```
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const server = net.createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port));
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/**
 * Connects once to 127.0.0.1:`port`; true when an IMAP server sends its `* OK` greeting, false when it
 * refuses, closes, greets otherwise, or says nothing within `timeoutMs`.
 *
 * @example
 * ```ts
 * import { freePort, probeImapGreeting } from "./loopback.ts";
 * console.log(await probeImapGreeting(await freePort())); // false: nobody listens there
 * ```
 */
export function probeImapGreeting(port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let text = "";
    const timer = setTimeout(() => done(false), timeoutMs);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on("error", () => {});
      socket.destroy();
      resolve(ok);
    };
    socket.setEncoding("utf8");
    socket.on("data", (s: string) => {
      text += s;
      if (text.includes("\r\n")) done(text.startsWith("* OK"));
    });
    socket.on("error", () => done(false));
    socket.on("close", () => done(false));
  });
}
