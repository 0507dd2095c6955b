/**
 * The socket under a connection: plain TCP or TLS from the first byte (imaps), a TLS layer put over the
 * plain socket after STARTTLS, and the wait for that layer's handshake. Certificates are verified against
 * the host, with the caller's extra CAs added to the system's roots.
 * @module
 */
import net from "node:net";
import tls from "node:tls";

/**
 * Where to connect and which certificates to trust.
 *
 * @example
 * ```ts
 * const t: SocketTarget = { host: "mail.example", port: 993, implicitTls: true, ca: "-----BEGIN CERTIFICATE-----..." };
 * ```
 */
export interface SocketTarget {
  /** Host name or IP; the certificate must name it. */
  host: string;
  /** TCP port. */
  port: number;
  /** TLS from the first byte (imaps). */
  implicitTls: boolean;
  /** Extra trusted CA certificates (PEM). */
  ca?: string | string[];
  /** Verify the server certificate (default true). */
  tlsRejectUnauthorized?: boolean;
}

/** How long the TLS handshake after STARTTLS may take. */
const HANDSHAKE_TIMEOUT_MS = 15_000;

/**
 * Starts connecting (TLS for imaps); the socket emits `connect`/`secureConnect` or `error` later.
 *
 * @param target host, port and TLS trust
 * @returns the connecting socket
 * @example
 * ```ts
 * import { connectSocket } from "./tls_socket.ts";
 * const socket = connectSocket({ host: "127.0.0.1", port: 143, implicitTls: false });
 * socket.destroy();
 * ```
 */
export function connectSocket(target: SocketTarget): net.Socket {
  const socket = target.implicitTls
    ? tls.connect({ host: target.host, port: target.port, ...tlsOptions(target) })
    : net.connect({ host: target.host, port: target.port });
  socket.setNoDelay(true); // pipelined commands are small writes: send them now, not after an ACK
  return socket;
}

/**
 * Puts TLS over a plain socket (after the server's OK to STARTTLS).
 *
 * @param plain the connected plain socket
 * @param target the host the certificate must name, and the trust
 * @returns the TLS socket; await {@linkcode tlsHandshake} before using it
 * @example
 * ```ts
 * import { connectSocket, tlsHandshake, upgradeToTls } from "./tls_socket.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot({ tls: true });
 * // The imaps port speaks TLS from the first byte, as a STARTTLS port does after the server's OK.
 * const target = { host: "127.0.0.1", port: dovecot.tlsPort!, implicitTls: false, ca: dovecot.caCertPem };
 * const secure = upgradeToTls(connectSocket(target), target);
 * await tlsHandshake(secure, (cause) => new Error(String(cause)));
 * secure.destroy();
 * ```
 */
export function upgradeToTls(plain: net.Socket, target: SocketTarget): tls.TLSSocket {
  return tls.connect({ socket: plain, host: target.host, ...tlsOptions(target) });
}

/**
 * Resolves once the TLS handshake is done; rejects with `failure(cause)` when it fails or takes longer
 * than 15 s.
 *
 * @param secure the socket from {@linkcode upgradeToTls}
 * @param failure the error to reject with, given what went wrong
 * @example
 * ```ts
 * import { connectSocket, tlsHandshake, upgradeToTls } from "./tls_socket.ts";
 * import { startDovecot } from "../../tests/support/dovecot.ts";
 * await using dovecot = await startDovecot({ tls: true });
 * const target = { host: "127.0.0.1", port: dovecot.tlsPort!, implicitTls: false, ca: dovecot.caCertPem };
 * const secure = upgradeToTls(connectSocket(target), target);
 * await tlsHandshake(secure, (cause) => new Error(String(cause)));
 * secure.destroy();
 * ```
 */
export function tlsHandshake(secure: tls.TLSSocket, failure: (cause: unknown) => Error): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(failure(new Error("handshake timed out"))), HANDSHAKE_TIMEOUT_MS);
    secure.once("secureConnect", () => {
      clearTimeout(timer);
      resolve();
    });
    secure.once("error", (e) => {
      clearTimeout(timer);
      reject(failure(e));
    });
  });
}

function tlsOptions(o: SocketTarget): tls.ConnectionOptions {
  return {
    // SNI must be a name, not an IP; the certificate is still checked against `host`.
    servername: net.isIP(o.host) ? undefined : o.host,
    ca: o.ca === undefined ? undefined : [...tls.rootCertificates, ...[o.ca].flat()],
    rejectUnauthorized: o.tlsRejectUnauthorized ?? true,
  };
}
