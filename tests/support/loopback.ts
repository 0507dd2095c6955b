/**
 * The two things every private test server launcher (Dovecot, Cyrus) needs on 127.0.0.1: a free port to
 * start on, and a probe that says when the IMAP server greets.
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
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
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
