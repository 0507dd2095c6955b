/**
 * A scripted IMAP server for behaviour Dovecot will not show on demand: no LITERAL+, refusing a large
 * literal, or answering BAD before reading literal data. It answers OK to every command (with no data),
 * records the commands it received, and notes whether a client sent literal bytes before being asked.
 *
 * @example
 * ```ts
 * import { startFakeImapServer } from "./fake_imap_server.ts";
 * const fake = await startFakeImapServer({ refuseOver: 100 });
 * // connect to imap://u:p@127.0.0.1:${fake.port}
 * await fake.close();
 * ```
 * @module
 */
import net from "node:net";

/**
 * How the fake server behaves.
 *
 * @example
 * ```ts
 * const o: FakeImapOptions = { literalPlus: true, refuseOver: 1000 };
 * ```
 */
export interface FakeImapOptions {
  /** Advertise LITERAL+ (default false: every literal waits for "+"). */
  literalPlus?: boolean;
  /** Refuse literals larger than this: NO instead of "+", or BAD for a `{n+}` literal (whose bytes then
   * arrive as if they were commands, as with a real server that rejected the command early). */
  refuseOver?: number;
}

/**
 * A running fake server.
 *
 * @example
 * ```ts
 * const fake: FakeImapServer = await startFakeImapServer();
 * console.log(fake.commands);
 * await fake.close();
 * ```
 */
export interface FakeImapServer {
  port: number;
  /** Complete commands received, tag included, literals inlined. */
  commands: string[];
  /** True when a client sent bytes after `{n}` before the server said "+". */
  readonly earlyLiteral: boolean;
  close(): Promise<void>;
}

/**
 * Starts the fake server on a free loopback port.
 *
 * @param options capabilities and refusals
 * @returns the server
 * @example
 * ```ts
 * const fake = await startFakeImapServer({ refuseOver: 100 });
 * await fake.close();
 * ```
 */
export async function startFakeImapServer(options: FakeImapOptions = {}): Promise<FakeImapServer> {
  const sockets = new Set<net.Socket>();
  const commands: string[] = [];
  let earlyLiteral = false;
  const refuseOver = options.refuseOver ?? Infinity;
  const caps = `IMAP4rev1 AUTH=PLAIN MULTIAPPEND${options.literalPlus ? " LITERAL+" : ""}`;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
    s.write(`* OK [CAPABILITY ${caps}] fake ready\r\n`);
    let buf = "";
    let line = "";
    let owed = 0; // literal bytes still expected
    let waiting = false; // a synchronising literal was announced, "+" not yet sent
    s.setEncoding("latin1");
    s.on("data", (chunk: string) => {
      if (waiting) earlyLiteral = true;
      buf += chunk;
      for (;;) {
        if (owed > 0) {
          const take = Math.min(owed, buf.length);
          line += buf.slice(0, take);
          buf = buf.slice(take);
          owed -= take;
          if (owed > 0) return;
          continue;
        }
        const eol = buf.indexOf("\r\n");
        if (eol < 0) return;
        line += buf.slice(0, eol);
        buf = buf.slice(eol + 2);
        const m = /\{(\d+)(\+?)\}$/.exec(line);
        const tag = line.split(" ")[0];
        if (m && Number(m[1]) > refuseOver) {
          s.write(m[2] ? `${tag} BAD literal too large\r\n` : `${tag} NO [TOOBIG] literal too large\r\n`);
          line = "";
          continue;
        }
        if (m) {
          owed = Number(m[1]);
          if (!m[2]) {
            waiting = true;
            setTimeout(() => { // give an eager client the chance to send early before "+"
              waiting = false;
              s.write("+ go ahead\r\n");
            }, 20);
          }
          continue;
        }
        commands.push(line);
        s.write(`${tag} OK ${/ LOGOUT$/i.test(line) ? "bye" : "done"}\r\n`);
        line = "";
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    commands,
    get earlyLiteral() {
      return earlyLiteral;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
