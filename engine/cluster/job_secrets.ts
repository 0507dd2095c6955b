/**
 * Secrets stay out of NATS: a job record carries the values of the pipeline's variables except the
 * secret ones, which it only names; each worker takes those from its own environment (or `--env-file`).
 * A variable is secret when its name says so (`PASSWORD`, `SECRET`, `TOKEN`, `KEY`, `CREDENTIAL`...) or its
 * value is a URL with a password in it (`imaps://me:secret@mail.example.org`).
 * @module
 */
import { SluiceError } from "../errors.ts";

const SECRET_NAME = /PASS|SECRET|TOKEN|CREDENTIAL|PRIVATE|(^|_)KEY($|_)|AUTH/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:[^/@\s]*@/i;

/**
 * Whether a variable holds a secret.
 *
 * @example
 * ```ts
 * import { isSecretVariable } from "./job_secrets.ts";
 * isSecretVariable("IMAP_URL", "imaps://me:pw@mail.example.org"); // true
 * isSecretVariable("FEEDS", "/srv/feeds.txt"); // false
 * ```
 */
export function isSecretVariable(name: string, value: string): boolean {
  return SECRET_NAME.test(name) || URL_WITH_PASSWORD.test(value.trim());
}

/**
 * Splits the variables a pipeline uses into those a job record may carry and the names of the secret ones.
 *
 * @example
 * ```ts
 * import { splitSecrets } from "./job_secrets.ts";
 * splitSecrets({ FEEDS: "f.txt", IMAP_URL: "imap://me:pw@h" });
 * // { env: { FEEDS: "f.txt" }, secretVars: ["IMAP_URL"] }
 * ```
 */
export function splitSecrets(
  used: Record<string, string>,
): { env: Record<string, string>; secretVars: string[] } {
  const env: Record<string, string> = {};
  const secretVars: string[] = [];
  for (const [name, value] of Object.entries(used)) {
    if (isSecretVariable(name, value)) secretVars.push(name);
    else env[name] = value;
  }
  return { env, secretVars };
}

/**
 * The lookup of a job's variables on a worker: the record's values, and the secret ones from `local`
 * (the worker's environment). A secret the worker does not have stops the job: a default in the file
 * (`${IMAP_URL:-}`) would otherwise deliver somewhere else.
 *
 * @throws SluiceError E_CLUSTER_SECRET (stops the run) naming the variable
 * @example
 * ```ts
 * import { jobVariables } from "./job_secrets.ts";
 * const env = jobVariables({ env: { FEEDS: "f.txt" }, secretVars: ["IMAP_URL"] }, () => "imap://me:pw@h");
 * env("IMAP_URL"); // "imap://me:pw@h"
 * ```
 */
export function jobVariables(
  job: { env: Record<string, string>; secretVars?: string[] },
  local: (name: string) => string | undefined,
): (name: string) => string | undefined {
  const secret = new Set(job.secretVars ?? []);
  return (name) => {
    if (!secret.has(name)) return job.env[name];
    const value = local(name);
    if (!value) {
      throw new SluiceError(
        "E_CLUSTER_SECRET",
        `this worker has no ${name}: the job's pipeline uses it and secrets never travel through NATS`,
        `start every worker with ${name} set (in its environment, or a line ${name}=... in --env-file FILE)`,
        { stopsRun: true },
      );
    }
    return value;
  };
}
