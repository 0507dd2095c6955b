/**
 * The `--help` texts. Kept free of imports so `cli.ts --help` starts fast.
 * @module
 */

const EXIT_CODES = `Exit codes:
  0    success (check: the file is valid); also a run its time budget stopped (the rest comes next run)
  1    configuration error (every error listed with file:line:column)
  2    the run finished, but some items failed (listed in the summary)
  3    the run stopped on an error (a damaged state names the command that recovers it)
  4    nothing was tried: every feed is backing off (the summary says when the next attempt is)
  75   another run holds the state (pid, host and since when are printed); see --wait-lock
  64   wrong command line
  130  stopped by SIGINT/SIGTERM after draining in-flight items`;

/** Help for each command, and the overview. */
export const HELP: Record<string, string> = {
  main: `sluice: concurrent data pipelines for Deno and Bun

Usage:
  cli.ts [run] FILE [options]     run a pipeline (run is the default command)
  cli.ts check FILE               validate only; lists every error
  cli.ts plan FILE [--format text|mermaid|json]
                                  stages, placement, concurrency, capacities, graph
  cli.ts state FILE [options]     per-feed health and counts; forget a feed; mark entries seen
  cli.ts test FILE                run the test cases beside the pipeline (tests: or FILE.test.yaml)
  cli.ts stages [NAME]            the built-in stages: item types, options, an example
  cli.ts state rebuild FILE       a new state from what the mailbox holds (X-Sluice-Entry-Id)
  cli.ts state reset --mark-seen FILE
                                  a new state with every current entry marked seen
  cli.ts worker --nats URL        join a sluice cluster and take work (see "cli.ts help worker")
  cli.ts help COMMAND             help for one command

Run "cli.ts help run" for the run options.

${EXIT_CODES}`,
  run: `cli.ts [run] FILE [options]: run a pipeline

Options:
  --dry-run[=DIR]     no side effects: sinks write .eml files into DIR (default ./out/dry-run),
                      nothing is recorded as delivered
  --every "CRON"      run on a 5-field cron schedule in a long-lived process (UTC); runs never
                      overlap; SIGTERM stops after the current run. The YAML's schedule: does the same.
  --budget DURATION   stop sources after DURATION (e.g. 50s); in-flight items finish, the rest
                      is delivered by the next run
  --max-memory SIZE   the most bytes fetched bodies, images and messages may hold in flight at
                      once (e.g. 128MB; default 64MB); stages wait while it is used up
  --trace FILE        write a Chrome trace of the run (open in ui.perfetto.dev); one lane per
                      concurrent slot of each stage
  --metrics HOST:PORT serve Prometheus metrics at /metrics and health at /healthz while the
                      pipeline runs (a scheduled pipeline: always). The YAML's metrics: does the same.
  --json              log JSON lines (progress, failures, summary) on stderr
  --summary-json FILE write the run's summary (metrics, failures) as JSON to FILE
  --quiet             only errors and the final summary line
  --verbose           debug logs
  --placement loop    keep CPU stages on the event loop (comparison mode)
  --sequential        one item at a time in every stage, all on the event loop (comparison mode)
  --pool N            worker threads for pool stages (default: the YAML's pool.size, else cores - 1,
                      at least 1)
  --grace DURATION    how long in-flight items may drain after SIGINT/SIGTERM (default 10s)
  --wait-lock DURATION  when another run holds the state, wait up to DURATION for it (default:
                      exit 75 at once)
  --env-file FILE     read KEY=VALUE lines into the environment first
  --nats URL          run on a sluice cluster (workers started with "cli.ts worker"): the source
                      runs here, each item from the stage marked distribute: true on goes to a
                      worker. The YAML's cluster: { nats: URL } does the same.

${EXIT_CODES}`,
  worker: `cli.ts worker --nats URL: join a sluice cluster and take units of work

URL is nats://HOST:4222 (several servers joined with commas); default the NATS_URL variable. The
worker runs the pipelines submitted with "cli.ts run FILE --nats URL", from their distributed stage
on, with their state in the cluster's key-value buckets. Start as many as you like, anywhere.
Secrets never travel through NATS: a job names the secret variables it uses (IMAP_URL with its
password, *_TOKEN, *_PASSWORD...) and each worker takes them from its own environment or
--env-file FILE. One worker at a time holds each IMAP account and appends its messages.
SIGINT/SIGTERM: no more work; the units in progress finish first.`,
  check: `cli.ts check FILE: validate a pipeline file without running it

Checks YAML syntax, stage names, every option against the stage's schema, environment variables,
and that consecutive stages' item types fit. Prints every error as file:line:column with the line
and a caret, and exits 1 if there is any.`,
  plan: `cli.ts plan FILE [--format text|mermaid|json]: show how the pipeline will run

Prints each stage with its placement (loop, pool, process, owner, auto), concurrency, channel
capacity, and item types. --format mermaid prints the graph as Mermaid text for a README or issue.`,
  test: `cli.ts test FILE: run the pipeline's test cases

Cases come from the file's \`tests:\` list and from FILE.test.yaml beside it (its own \`tests:\`). Each case
feeds its items into a stage (\`input.stage\`, default the first; stages before it do not run), can
replace sources and sinks with in-memory ones (\`replace: [mailbox]\`), and compares the items that
reach a stage (\`expect.stage\`; default the end: what the last stage emits, or what reaches it when
it is a sink) with \`expect.items\`. Sinks run in dry-run mode, writing into a temporary folder.

  tests:
    - name: a number doubles
      input: { stage: double, items: [1, 2] }
      expect: { items: [2, 4] }

Expected items match when every key they give matches (other keys are ignored); bytes compare as
UTF-8 text, dates as ISO strings; a mapping with \`headers:\` matches a message's header lines, and one
with \`contains:\` or \`matches:\` (a regular expression) a part of a text. \`env:\` (per file or case)
sets the variables the pipeline file reads; \`!bytes\` before a text makes it bytes (a feed document).

Prints each case as passed or failed, with a diff of the first mismatch; exits 1 when a case fails
or is malformed (errors at file:line:column).`,
  stages: `cli.ts stages [NAME]: the built-in stages

Without NAME: every built-in stage with its input and output item types, what it does and its
options. With NAME: the stage's defaults (placement, concurrency...), each option with its type,
default and description, and an example \`stages:\` item. Read from the stage registry.`,
  state: `cli.ts state FILE [options]: what the pipeline's state store remembers

Without options: per-feed health (last success, consecutive failures, back-off) and delivered counts.
  --forget URL       forget a feed: its validators, health and delivered entry ids
  --mark-seen [URL]  fetch the feed(s) now and mark every current entry as delivered without sending
                     anything (a new subscription then does not flood the mailbox with its history)
  --json             print JSON

Recovering a damaged state (empty, truncated, foreign or newer file; a run refuses to start on one):
  cli.ts state rebuild FILE           move the damaged file aside and record as delivered every entry
                                      the mailbox already holds (by its X-Sluice-Entry-Id header)
  cli.ts state reset --mark-seen FILE move the damaged file aside and mark every current entry of
                                      every feed as seen, sending nothing`,
};
