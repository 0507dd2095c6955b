/**
 * Tracks the handles Deno's test sanitizers do not see: `node:net` servers and sockets (so also
 * `node:http`, `node:tls` and everything built on them) and module Workers. Deno 2.9's sanitizers catch
 * timers, pending ops, `Deno.serve`, fetch bodies, child processes and KV, but a `node:net` server left
 * listening or a Worker never terminated passes unnoticed; `tests/support/testing.ts` installs this under
 * `deno test` and fails a test that leaves one open.
 * @module
 */
import net from "node:net";

/** A tracked handle: how to tell it is still open and how to describe it. */
interface Handle {
  /** Order of creation, to tell what a test opened. */
  readonly serial: number;
  /** Still open (listening, not destroyed, not terminated). */
  open(): boolean;
  /** What it is and where the test opened it. */
  describe(): string;
}

/** Handles created after mark `from` up to and including mark `to`. */
export type HandleRange = readonly [from: number, to: number];

/** Marks in the sequence of created handles, and the ones still open. */
export interface HandleTracker {
  /** The current mark: handles created after it get higher ones. */
  mark(): number;
  /** Descriptions of the handles created in one of `ranges` that are still open. */
  openIn(ranges: readonly HandleRange[]): string[];
}

let tracker: HandleTracker | undefined;

/**
 * Starts tracking (once per process; later calls return the same tracker).
 *
 * @returns the tracker
 * @example
 * ```ts
 * import { trackHandles } from "./handle_tracker.ts";
 * const handles = trackHandles();
 * const since = handles.mark();
 * console.log(handles.openIn([[since, Infinity]])); // []
 * ```
 */
export function trackHandles(): HandleTracker {
  if (tracker) return tracker;
  const handles: Handle[] = [];
  const seen = new WeakSet<object>();
  let serial = 0;
  const add = (owner: object, open: () => boolean, describe: (where: string) => string) => {
    // listen()/connect() call themselves again with normalized arguments: count each handle once.
    if (seen.has(owner)) return;
    seen.add(owner);
    const where = callSite();
    handles.push({ serial: ++serial, open, describe: () => describe(where) });
  };
  // deno-lint-ignore no-explicit-any
  type Method = (this: any, ...args: any[]) => any;

  const proto = net.Server.prototype as unknown as Record<string, Method>;
  const listen = proto.listen;
  proto.listen = function (this: net.Server, ...args: unknown[]) {
    add(
      this,
      () => this.listening,
      (where) => `a node:net server (${address(this)}) opened ${where} is still listening`,
    );
    return listen.apply(this, args);
  };
  const emit = proto.emit;
  proto.emit = function (this: net.Server, event: string, ...args: unknown[]) {
    if (event === "connection" && args[0] instanceof net.Socket) {
      const socket = args[0];
      add(
        socket,
        () => !socket.destroyed,
        () => `a connection accepted by the server on ${address(this)} is still open (end it before closing)`,
      );
    }
    return emit.call(this, event, ...args);
  };
  const socketProto = net.Socket.prototype as unknown as Record<string, Method>;
  const connect = socketProto.connect;
  socketProto.connect = function (this: net.Socket, ...args: unknown[]) {
    add(this, () => !this.destroyed, (where) => `a node:net client socket opened ${where} is still open`);
    return connect.apply(this, args);
  };

  const RealWorker = globalThis.Worker;
  if (typeof RealWorker === "function") {
    globalThis.Worker = class TrackedWorker extends RealWorker {
      #terminated = false;
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        add(
          this,
          () => !this.#terminated,
          (where) => `a Worker (${String(url)}) started ${where} was never terminated`,
        );
      }
      override terminate(): void {
        this.#terminated = true;
        super.terminate();
      }
    };
  }

  tracker = {
    mark: () => serial,
    openIn: (ranges) =>
      handles
        .filter((h) => ranges.some(([from, to]) => h.serial > from && h.serial <= to) && h.open())
        .map((h) => h.describe()),
  };
  return tracker;
}

function address(server: net.Server): string {
  const a = server.address();
  return a && typeof a === "object" ? `${a.address}:${a.port}` : String(a ?? "not bound");
}

/**
 * Where the handle was opened: the first stack frame outside this file and node_modules, and the first
 * frame in a test file when that is another one (a server opened by a helper the test called).
 */
function callSite(): string {
  const self = import.meta.url;
  const files = (new Error().stack ?? "").split("\n").slice(1)
    .map((frame) => frame.match(/(file:\/\/[^\s)]+:\d+:\d+)/)?.[1])
    .filter((file): file is string => !!file && !file.startsWith(self) && !file.includes("/node_modules/"));
  if (files.length === 0) return "somewhere in the test";
  const inTest = files.find((file) => /_test\.ts:/.test(file));
  return inTest && inTest !== files[0] ? `at ${files[0]} (called from ${inTest})` : `at ${files[0]}`;
}
