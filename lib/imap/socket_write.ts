/**
 * Writing bytes to the server's socket: a small command goes out as one buffer (one write, so no small
 * segments wait on Nagle), a large one (a MULTIAPPEND of whole messages) as corked writes without
 * copying, and the caller waits while the socket's buffer is full (backpressure).
 * @module
 */
import type net from "node:net";
import { concatBytes } from "../../engine/concat_bytes.ts";

/** Commands up to this size are sent as one buffer (one write, so no small segments wait on Nagle). */
const COALESCE_BYTES = 16 * 1024;

/**
 * Writes `chunks` to `socket` and resolves once the socket can take more (drained, or closed).
 *
 * @param socket the connection's socket (plain or TLS)
 * @param chunks the bytes to send, in order
 * @example
 * ```ts
 * import net from "node:net";
 * import { once } from "node:events";
 * import { writeToSocket } from "./socket_write.ts";
 * const server = net.createServer((peer) => peer.resume().on("end", () => peer.end()));
 * await once(server.listen(0, "127.0.0.1"), "listening");
 * const socket = net.connect({ host: "127.0.0.1", port: (server.address() as net.AddressInfo).port });
 * await once(socket, "connect");
 * await writeToSocket(socket, [new TextEncoder().encode("S1 NOOP\r\n")]);
 * socket.end();
 * await once(socket, "close");
 * await new Promise((resolve) => server.close(resolve));
 * ```
 */
export async function writeToSocket(socket: net.Socket, chunks: Uint8Array[]): Promise<void> {
  if (chunks.length === 0) return;
  let total = 0;
  for (const c of chunks) total += c.length;
  let flowing: boolean;
  if (chunks.length === 1) flowing = socket.write(chunks[0]);
  else if (total <= COALESCE_BYTES) flowing = socket.write(concatBytes(chunks, total));
  else {
    // A MULTIAPPEND carries whole messages: corked writes send them as they are instead of copying
    // every message into one more buffer (that copy doubled the bytes the IMAP sink allocates).
    socket.cork();
    flowing = true;
    for (const c of chunks) flowing = socket.write(c) && flowing;
    socket.uncork();
  }
  if (flowing) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}
