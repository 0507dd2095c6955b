/**
 * What the CLI adds to run a YAML pipeline on a cluster: where the pipeline splits (the stage marked
 * `distribute: true`), the job record workers rebuild it from, and the state stores redirected to the
 * cluster's NATS key-value buckets (a local `state:` path means nothing to a worker on another machine).
 * @module
 */
import { createHash } from "node:crypto";
import type { PipelineSpec } from "../engine/config/mod.ts";
import { openStore } from "../engine/state/mod.ts";
import {
  Chain,
  DEFAULT_STATE,
  type Pipeline,
  provideRunState,
  RunResources,
  type StageMetrics,
} from "../engine/pipeline/mod.ts";
import type { JobRecord } from "../engine/cluster/work_queue.ts";
import { splitSecrets } from "../engine/cluster/job_secrets.ts";

/**
 * The index of the first stage workers run: the one marked `distribute: true`, else the one after the
 * source.
 *
 * @example
 * ```ts ignore
 * distributeIndex(spec); // 1 for rss2imap (fetch)
 * ```
 */
export function distributeIndex(spec: PipelineSpec): number {
  const marked = spec.stages.findIndex((s) => s.distribute);
  return Math.max(1, marked < 0 ? 1 : marked);
}

/**
 * Where a stage's `state:` location lives on the cluster: a `nats://` location as it is, any other in a
 * bucket of its own named after it (`state_` and a hash), on the cluster's servers.
 *
 * @example
 * ```ts
 * import { clusterStateSpec } from "./cluster_run.ts";
 * clusterStateSpec("./.sluice", "nats://127.0.0.1:4222"); // "nats://127.0.0.1:4222/state_..."
 * ```
 */
export function clusterStateSpec(location: string, nats: string): string {
  if (/^(nats|tls):\/\//i.test(location.trim())) return location;
  const hash = createHash("sha256").update(location).digest("hex").slice(0, 12);
  return `${nats}/state_${hash}`;
}

/**
 * The state location of a cluster run: the pipeline's `state:` (default `./.sluice`) in its cluster bucket.
 *
 * @example
 * ```ts ignore
 * clusterState(spec, "nats://127.0.0.1:4222"); // "nats://127.0.0.1:4222/state_..."
 * ```
 */
export function clusterState(spec: PipelineSpec, nats: string): string {
  return clusterStateSpec(spec.state ?? DEFAULT_STATE, nats);
}

/**
 * A maker of run resources in which the cluster state is already open, without the run lease (the
 * submitter holds that for the whole job).
 *
 * @example
 * ```ts ignore
 * const resources = clusterResources(spec, "nats://127.0.0.1:4222")();
 * ```
 */
export function clusterResources(spec: PipelineSpec, nats: string): () => RunResources {
  const location = clusterState(spec, nats);
  return () => {
    const resources = new RunResources();
    provideRunState(resources, location, openStore(location));
    return resources;
  };
}

/**
 * The local half of a cluster run, its job record, and the remote stages (for the counters).
 *
 * @example
 * ```ts ignore
 * const plan = planClusterRun(spec, pipeline, text, env, undefined, "nats://127.0.0.1:4222");
 * ```
 */
export function planClusterRun(
  spec: PipelineSpec,
  pipeline: Pipeline,
  text: string,
  env: Record<string, string>,
  dryRun: string | undefined,
  nats: string,
): {
  job: Omit<JobRecord, "id" | "createdAt">;
  local: Pipeline;
  remote: Array<Pick<StageMetrics, "name" | "placement" | "concurrency" | "capacity">>;
} {
  const at = distributeIndex(spec);
  // Secrets (an IMAP password, a token) never go into NATS: workers take them from their own environment.
  const { env: shared, secretVars } = splitSecrets(env);
  return {
    job: {
      name: spec.name,
      file: spec.file,
      text,
      env: shared,
      secretVars,
      distributeAt: at,
      ...(dryRun ? { dryRun } : {}),
    },
    // The stages here and on the workers use the cluster's state.
    local: new Chain<never, unknown>(pipeline.stages.slice(0, at), clusterState(spec, nats)),
    remote: pipeline.stages.slice(at).map((s) => ({
      name: s.options.name,
      placement: s.options.placement,
      concurrency: s.options.concurrency,
      capacity: s.options.capacity,
    })),
  };
}
