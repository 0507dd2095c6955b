/**
 * A private nats-server with JetStream for tests and benchmarks: one node, or a cluster of nodes routed on
 * loopback, each on a free port with its own temporary store, stopped and removed by `stop()`. Needs the
 * `nats-server` binary (Debian: `apt-get install nats-server`).
 *
 * @example
 * ```ts ignore
 * import { startNatsServer } from "./nats_server.ts";
 * const nats = await startNatsServer();
 * console.log(nats.url); // nats://127.0.0.1:PORT
 * await nats.stop();
 * ```
 * @module
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import process from "node:process";
import { tmpdir } from "node:os";
import path from "node:path";
import { runtime } from "../../engine/runtime/mod.ts";
import { freePorts } from "./loopback.ts";

/** Where nats-server may be installed (Debian puts it in /usr/sbin). */
const NATS_BINS = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];
/** How long a start may take before it is reported as failed. */
const START_TIMEOUT_MS = 20_000;

/** The message a test shows when it skips (or fails on CI) because nats-server is missing. */
/**
 * The time a whole-cluster test may take (10 minutes): several CLI children in turn, each killed after 240 s,
 * on a loaded 2-core machine, well above the suite's default per-test timeout but still bounded.
 *
 * @example
 * ```ts
 * import { CLUSTER_TEST_TIMEOUT_MS } from "./nats_server.ts";
 * console.log(CLUSTER_TEST_TIMEOUT_MS / 60_000, "minutes");
 * ```
 */
export const CLUSTER_TEST_TIMEOUT_MS = 600_000;

export const NATS_MISSING = "nats-server not installed: apt-get install nats-server";

/**
 * Where the nats-server binary is, or undefined when it is not installed.
 *
 * @example
 * ```ts
 * import { natsServerBinary } from "./nats_server.ts";
 * if (!natsServerBinary()) console.log("skipping cluster tests");
 * ```
 */
export function natsServerBinary(): string | undefined {
  return NATS_BINS.find((p) => existsSync(p));
}

/**
 * The skip policy for suites that need nats-server, as a value for `describe(name, { skip }, ...)`: false
 * when it is installed; the reason to skip when it is not; false again on CI (env `CI` set), so the suite
 * runs and fails loudly instead of skipping quietly.
 *
 * @example
 * ```ts
 * // in a test file: describe("cluster", { skip: natsSkip() }, () => { ... });
 * console.log(natsSkip()); // false where nats-server is installed
 * ```
 */
export function natsSkip(): string | false {
  if (natsServerBinary() || runtime.env("CI")) return false;
  return NATS_MISSING;
}

/**
 * One running nats-server node.
 *
 * @example
 * ```ts ignore
 * const node: NatsNode = (await startNatsServer()).nodes[0];
 * await node.stop();
 * await node.start();
 * ```
 */
export interface NatsNode {
  /** Its server name (`n1`, `n2`...). */
  name: string;
  /** `nats://127.0.0.1:PORT` of this node. */
  url: string;
  /** Client port. */
  port: number;
  /** Whether the process runs now. */
  readonly running: boolean;
  /** Stops the node (SIGTERM, SIGKILL after 5 s); its store stays, so `start()` brings it back. */
  stop(): Promise<void>;
  /** Starts the node again on the same ports and store. */
  start(): Promise<void>;
}

/**
 * A running nats-server (one node or a cluster).
 *
 * @example
 * ```ts ignore
 * const nats: RunningNats = await startNatsServer({ nodes: 3 });
 * console.log(nats.url); // nats://127.0.0.1:P1,nats://127.0.0.1:P2,nats://127.0.0.1:P3
 * await nats.stop();
 * ```
 */
export interface RunningNats {
  /** The client URL: one node's, or every node's joined with commas (what `--nats` accepts). */
  url: string;
  /** The nodes, in start order. */
  nodes: NatsNode[];
  /** The temp directory holding every node's store and log. */
  dir: string;
  /** Stops every node and deletes the temp directory. */
  stop(): Promise<void>;
}

/**
 * Options of {@linkcode startNatsServer}.
 *
 * @example
 * ```ts
 * const o: NatsServerOptions = { nodes: 3 };
 * ```
 */
export interface NatsServerOptions {
  /** Nodes: 1 (default) for a single server, 3 for a JetStream cluster routed on loopback. */
  nodes?: number;
}

/**
 * Starts nats-server with JetStream and resolves once every node is ready for clients (and, for a cluster,
 * once the nodes have routed to each other).
 *
 * @example
 * ```ts ignore
 * const nats = await startNatsServer();
 * await nats.stop();
 * ```
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<RunningNats> {
  const bin = natsServerBinary();
  if (!bin) throw new Error(`${NATS_MISSING} (not found in ${NATS_BINS.join(", ")})`);
  const count = Math.max(1, options.nodes ?? 1);
  const dir = await mkdtemp(path.join(tmpdir(), "sluice-nats-"));
  const nodes: ManagedNode[] = [];
  try {
    const clientPorts = await freePorts(count);
    const routePorts = count > 1 ? await freePorts(count) : [];
    const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`).join(",");
    for (let i = 0; i < count; i++) {
      const name = `n${i + 1}`;
      const args = ["-js", "-sd", path.join(dir, name), "-p", String(clientPorts[i]), "-a", "127.0.0.1"];
      args.push("-n", name, "-l", path.join(dir, `${name}.log`));
      if (count > 1) {
        args.push("--cluster_name", "sluice", "--cluster", routes.split(",")[i], "--routes", routes);
      }
      nodes.push(new ManagedNode(bin, name, clientPorts[i], args, count));
    }
    await Promise.all(nodes.map((n) => n.start()));
    return {
      url: nodes.map((n) => n.url).join(","),
      nodes,
      dir,
      async stop() {
        await Promise.all(nodes.map((n) => n.stop()));
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await Promise.all(nodes.map((n) => n.stop()));
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

class ManagedNode implements NatsNode {
  readonly url: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(
    readonly bin: string,
    readonly name: string,
    readonly port: number,
    readonly args: string[],
    readonly clusterSize: number,
  ) {
    this.url = `nats://127.0.0.1:${port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  async start(): Promise<void> {
    if (this.#child) return;
    // -l sends the log to a file; stderr still carries fatal start-up errors.
    const child = spawn(this.bin, this.args, { stdio: ["ignore", "ignore", "pipe"] });
    this.#child = child;
    let stderr = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (s: string) => stderr += s);
    let hasExited = false;
    this.#exited = new Promise<void>((resolve) =>
      child.once("exit", () => {
        hasExited = true;
        resolve();
      })
    );
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (hasExited) {
        this.#child = undefined;
        throw new Error(`nats-server ${this.name} exited during startup: ${stderr.trim().slice(-500)}`);
      }
      if (await this.#ready()) return;
      await Promise.race([this.#exited, new Promise((r) => setTimeout(r, 50))]);
    }
    await this.stop();
    throw new Error(`nats-server ${this.name} not ready on ${this.url} within ${START_TIMEOUT_MS} ms`);
  }

  /** Ready when it greets with INFO; a cluster node also once it has routes to the other nodes. */
  async #ready(): Promise<boolean> {
    const info = await probeInfo(this.port);
    if (!info) return false;
    if (this.clusterSize <= 1) return true;
    const routes = Array.isArray(info.connect_urls) ? info.connect_urls.length : 0;
    return routes >= this.clusterSize;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    let hasExited = false;
    const exited = this.#exited.then(() => hasExited = true);
    child.kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([exited, new Promise((r) => timer = setTimeout(r, 5_000))]);
    clearTimeout(timer);
    // process.kill, not child.kill: Deno's child.kill() ignores a second signal.
    if (!hasExited && child.pid) process.kill(child.pid, "SIGKILL");
    await exited;
    child.stderr?.destroy();
    this.#child = undefined;
  }
}

/** Connects once and reads the server's INFO line; undefined when nothing answers. */
function probeInfo(port: number): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let text = "";
    const done = (info: Record<string, unknown> | undefined) => {
      socket.removeAllListeners();
      socket.on("error", () => {});
      socket.destroy();
      resolve(info);
    };
    socket.setEncoding("utf8");
    socket.on("data", (s: string) => {
      text += s;
      const end = text.indexOf("\r\n");
      if (end < 0) return;
      const line = text.slice(0, end);
      try {
        done(line.startsWith("INFO ") ? JSON.parse(line.slice(5)) : undefined);
      } catch {
        done(undefined);
      }
    });
    socket.on("error", () => done(undefined));
    socket.on("close", () => done(undefined));
  });
}
