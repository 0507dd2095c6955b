/**
 * The keys a pipeline file may use, declared in the same option-schema language stages use, so the
 * file's own keys get the same checks and "did you mean" as stage options.
 * @module
 */
import type { OptionSchema } from "./schema.ts";

/**
 * Keys at the top of a pipeline file (`stages` is checked separately, item by item).
 *
 * @example
 * ```ts
 * import { PIPELINE_KEYS } from "./pipeline_keys.ts";
 * Object.keys(PIPELINE_KEYS); // ["name", "description", "schedule", "budget", "pool", "metrics", "state", "cluster", "stages", "tests"]
 * ```
 */
export const PIPELINE_KEYS: OptionSchema = {
  name: { type: "string", description: "the pipeline's name (defaults to the file name)" },
  description: { type: "string", description: "what the pipeline does" },
  schedule: { type: "string", description: 'a 5-field cron expression, e.g. "*/30 * * * *"' },
  budget: { type: "duration", description: "the most one run may take, e.g. 10m" },
  pool: {
    type: "object",
    description: "the worker pool of `placement: pool` stages",
    properties: {
      size: { type: "integer", min: 1, description: "worker threads (default: cores - 1, at least 1)" },
    },
  },
  metrics: {
    type: "string",
    pattern: /^(\S+:)?\d{1,5}$/,
    description:
      "HOST:PORT serving Prometheus metrics at /metrics and health at /healthz, e.g. 127.0.0.1:9464",
  },
  state: {
    type: "string",
    path: true,
    description: "where the stages keep their shared state: a directory (sqlite), kv:PATH, kv: or memory:",
  },
  cluster: {
    type: "object",
    properties: {
      nats: { type: "string", description: "NATS server(s) of the cluster, e.g. nats://127.0.0.1:4222" },
    },
    description: "run on a sluice cluster (workers started with `cli.ts worker`)",
  },
  stages: { type: "any", description: "the list of stages, each `- use: <stage>`" },
  // Read by `cli.ts test` (engine/test_cases), which checks each case itself.
  tests: { type: "any", description: "test cases for `cli.ts test`, each `- name: ...`" },
};

/**
 * Retry settings of a stage (`retry: 3` is short for `retry: { attempts: 3 }`).
 *
 * @example
 * ```ts
 * import { RETRY_KEYS } from "./pipeline_keys.ts";
 * RETRY_KEYS.backoff.type; // "duration"
 * ```
 */
export const RETRY_KEYS: OptionSchema = {
  attempts: { type: "integer", min: 1, required: true, description: "tries in total, including the first" },
  backoff: {
    type: "duration",
    default: "500ms",
    description: "wait before the first retry, doubled after each",
  },
  maxBackoff: { type: "duration", description: "the longest wait between tries" },
  jitter: { type: "boolean", description: "randomize waits so retries do not arrive together" },
  on: { type: "string[]", description: "error codes or names worth a retry (all errors when absent)" },
};

/**
 * Keys of one stage item, beside `use:`.
 *
 * @example
 * ```ts
 * import { STAGE_KEYS } from "./pipeline_keys.ts";
 * "concurrency" in STAGE_KEYS; // true
 * ```
 */
export const STAGE_KEYS: OptionSchema = {
  // Not `required`: the loader reports a missing `use:` itself, with the list of stages.
  use: { type: "string", description: "a built-in stage name or ./file.ts#export" },
  id: {
    type: "string",
    pattern: /^[A-Za-z_][A-Za-z0-9_.-]*$/,
    description: "a unique name for the stage: letters, digits, `_`, `-`, `.`",
  },
  with: { type: "any", description: "the stage's options" },
  placement: {
    type: "string",
    enum: ["loop", "pool", "process", "owner", "auto"],
    description: "where the stage runs",
  },
  concurrency: { type: "integer", min: 1, description: "items processed at the same time" },
  capacity: { type: "integer", min: 0, description: "items buffered between this stage and the next" },
  ordered: { type: "boolean", description: "keep input order in the output" },
  timeout: { type: "duration", description: "the most one item may take" },
  retry: { type: "object", properties: RETRY_KEYS, description: "retry failed items" },
  onError: {
    type: "string",
    enum: ["drop", "dead-letter", "fail"],
    description: "what to do with an item that still fails",
  },
  deadLetter: { type: "string", description: "JSONL file that receives failed items" },
  distribute: {
    type: "boolean",
    description: "on a cluster, each item from this stage on is a unit of work any worker may take",
  },
};

/**
 * Other spellings accepted for keys (YAML files tend to use kebab-case).
 *
 * @example
 * ```ts
 * import { KEY_ALIASES } from "./pipeline_keys.ts";
 * KEY_ALIASES["on-error"]; // "onError"
 * ```
 */
export const KEY_ALIASES: Readonly<Record<string, string>> = {
  "on-error": "onError",
  "dead-letter": "deadLetter",
  "max-backoff": "maxBackoff",
};
