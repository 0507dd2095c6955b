/**
 * The mail sinks for YAML: `upload-imap`, `maildir` and `mailbox` (which picks one of the two from its
 * URL), their options, where each may run, and the check of an IMAP URL that `check` applies.
 * @module
 */
import type { StageFactory } from "../engine/config/stage_factory.ts";
import { SluiceError } from "../engine/errors.ts";
import { imapUrlProblem } from "../lib/imap/imap_url.ts";
import { tokenFromCommand, tokenFromRefresh } from "../lib/imap/oauth_token.ts";
import type { OAuthMechanism } from "../lib/imap/sasl_oauth.ts";
import { maildir, uploadImap } from "./mailbox.ts";
import { type ImapSinkOptions, MAILBOX_DEFAULTS } from "./mailbox_options.ts";

const SHARED_OPTIONS = {
  state: {
    type: "string",
    path: true,
    description: "state location (sqlite dir, kv:PATH, memory:); default: the pipeline's `state:`",
  },
} as const;

const IMAP_OPTIONS = {
  "max-batch": {
    type: "integer",
    default: MAILBOX_DEFAULTS.maxBatch,
    min: 1,
    max: 1000,
    description: "messages per MULTIAPPEND",
  },
  "server-check": {
    type: "boolean",
    default: MAILBOX_DEFAULTS.serverCheck,
    description: "search the folder for every entry id before appending (slow). Crashes are covered " +
      "without it (sending marks in the state); it protects when the state is lost or reset, or when " +
      "another sluice with its own state writes to the same folders",
  },
  "ca-file": { type: "string", default: "", description: "PEM file of an extra trusted CA" },
  connections: {
    type: "integer",
    default: MAILBOX_DEFAULTS.connections,
    min: 1,
    max: 16,
    description: "IMAP connections (folders split between them)",
  },
  accounts: {
    type: "object",
    description: "several accounts: top-level folder -> imap:// URL of its account (others go to url)",
    additional: {
      type: "string",
      secret: true,
      pattern: /^imaps?:\/\/.+/i,
      validate: imapUrlCheck,
      description: "an imap://user:pass@host:port or imaps:// URL",
    },
  },
  sasl: {
    type: "string",
    default: "",
    pattern: /^(xoauth2|oauthbearer)?$/i,
    description: "OAuth2 mechanism (xoauth2 or oauthbearer); empty: XOAUTH2 when offered, else OAUTHBEARER",
  },
  "token-command": {
    type: "string",
    default: "",
    secret: true,
    description: "OAuth2: a shell command printing the access token (run at each login)",
  },
  "token-url": { type: "string", default: "", description: "OAuth2: the token endpoint for refresh-token" },
  "client-id": { type: "string", default: "", description: "OAuth2: the client id for refresh-token" },
  "client-secret": { type: "string", default: "", secret: true, description: "OAuth2: the client secret" },
  "refresh-token": {
    type: "string",
    default: "",
    secret: true,
    description: "OAuth2: a refresh token exchanged at token-url for access tokens",
  },
} as const;

/** Where the IMAP sink can run: behind its connections' single owners only. */
const IMAP_PLACEMENT = {
  placements: ["owner"],
  placementNote:
    "an IMAP connection takes one command at a time: each connection has a single owner on the " +
    "event loop that batches the appends (raise `connections` for more at once)",
} as const;

/** Where the Maildir sink can run: on the event loop, whose group commit batches the fsyncs. */
const MAILDIR_PLACEMENT = {
  placements: ["loop"],
  placementNote: "it writes files on the event loop, where waiting costs nothing, through one group " +
    "commit per run that batches the fsyncs and the state's marks",
} as const;

/** `upload-imap` for YAML. */
export const uploadImapStage: StageFactory = {
  name: "upload-imap",
  description: "appends messages over one IMAP connection (single owner, MULTIAPPEND batches)",
  inType: "MailMessage",
  outType: "none",
  example: `- use: upload-imap
  with:
    url: \${IMAP_URL}          # imap://user:pass@host:143 or imaps://...
    max-batch: 50`,
  options: {
    url: {
      type: "string",
      required: true,
      secret: true,
      pattern: /^imaps?:\/\/.+/i,
      validate: imapUrlCheck,
      description: "an imap://user:pass@host:port or imaps:// URL",
    },
    ...SHARED_OPTIONS,
    ...IMAP_OPTIONS,
  },
  ...IMAP_PLACEMENT,
  create: (o) => uploadImap(imapOptions(o)),
};

/** `maildir` for YAML. */
export const maildirStage: StageFactory = {
  name: "maildir",
  description: "writes messages into Maildir++ folders (atomic: tmp, then rename into new)",
  inType: "MailMessage",
  outType: "none",
  example: `- use: maildir
  with:
    path: ./mail
    fsync: true`,
  options: {
    path: { type: "string", default: MAILBOX_DEFAULTS.maildir, description: "the Maildir root" },
    ...SHARED_OPTIONS,
    fsync: {
      type: "boolean",
      default: MAILBOX_DEFAULTS.fsync,
      description: "fsync each message before it counts as delivered",
    },
  },
  ...MAILDIR_PLACEMENT,
  create: (o) =>
    maildir({ path: o.path as string, state: o.state as string | undefined, fsync: o.fsync as boolean }),
};

/** `mailbox` for YAML: IMAP when `url` is set, else Maildir. */
export const mailboxStage: StageFactory = {
  name: "mailbox",
  description: "IMAP when `url` is an imap:// or imaps:// URL, else the Maildir at `maildir`",
  inType: "MailMessage",
  outType: "none",
  example: `- use: mailbox
  with:
    url: \${IMAP_URL:-}        # empty: the Maildir below
    maildir: ./mail`,
  options: {
    url: {
      type: "string",
      default: "",
      secret: true,
      // Anything else (a bare host name) used to mean the Maildir: the entries were counted as delivered
      // without ever reaching the server.
      pattern: /^(imaps?:\/\/.+)?$/i,
      validate: (url) => (url === "" ? undefined : imapUrlCheck(url)),
      description: "an imap://user:pass@host:port or imaps:// URL (IMAP_URL), or empty for the Maildir",
    },
    maildir: {
      type: "string",
      default: MAILBOX_DEFAULTS.maildir,
      path: true,
      description: "the Maildir root when url is empty",
    },
    ...SHARED_OPTIONS,
    ...IMAP_OPTIONS,
    fsync: { type: "boolean", default: MAILBOX_DEFAULTS.fsync, description: "Maildir: fsync each message" },
  },
  // IMAP's placement or the Maildir's, whichever sink the options pick.
  forOptions: (o) => (sendsOverImap(o) ? IMAP_PLACEMENT : MAILDIR_PLACEMENT),
  create: (o) => {
    if (sendsOverImap(o)) return uploadImap(imapOptions(o));
    return maildir({
      path: o.maildir as string,
      state: o.state as string | undefined,
      fsync: o.fsync as boolean,
    });
  },
};

/** Whether `mailbox` options pick the IMAP sink: an imap(s) URL, or accounts. */
function sendsOverImap(o: Record<string, unknown>): boolean {
  const url = o.url as string | undefined;
  const hasAccounts = Object.keys((o.accounts as object | undefined) ?? {}).length > 0;
  return (url !== undefined && /^imaps?:\/\//i.test(url)) || hasAccounts;
}

/** `check` parses the URL and applies the TLS policy, so that a bad one fails there and not at run (exit 3). */
function imapUrlCheck(url: string): { reason: string; hint?: string } | undefined {
  const problem = imapUrlProblem(url);
  return problem && { reason: problem.message, hint: problem.hint };
}

function imapOptions(o: Record<string, unknown>): ImapSinkOptions {
  return {
    url: o.url as string,
    state: o.state as string | undefined,
    maxBatch: o["max-batch"] as number,
    serverCheck: o["server-check"] as boolean,
    caFile: (o["ca-file"] as string) || undefined,
    connections: o.connections as number,
    oauth: oauthOptions(o),
    accounts: o.accounts as Record<string, string> | undefined,
  };
}

/** The OAuth2 login of the YAML options: a token command or a refresh token; undefined for a password. */
function oauthOptions(o: Record<string, unknown>): ImapSinkOptions["oauth"] {
  const text = (key: string) => (o[key] as string | undefined) ?? "";
  const mechanism = (text("sasl").toUpperCase() || undefined) as OAuthMechanism | undefined;
  if (text("token-command") && text("refresh-token")) {
    throw new SluiceError(
      "E_CONFIG",
      "mailbox: both token-command and refresh-token are set",
      "keep one way of getting the OAuth2 access token",
    );
  }
  if (text("token-command")) return { token: tokenFromCommand(text("token-command")), mechanism };
  if (text("refresh-token")) {
    if (!text("token-url") || !text("client-id")) {
      throw new SluiceError(
        "E_CONFIG",
        "mailbox: refresh-token needs token-url and client-id",
        "set token-url (Gmail: https://oauth2.googleapis.com/token) and client-id (and client-secret)",
      );
    }
    return {
      token: tokenFromRefresh({
        tokenUrl: text("token-url"),
        clientId: text("client-id"),
        clientSecret: text("client-secret") || undefined,
        refreshToken: text("refresh-token"),
      }),
      mechanism,
    };
  }
  if (mechanism) {
    throw new SluiceError(
      "E_CONFIG",
      `mailbox: sasl: ${text("sasl")} needs token-command or refresh-token`,
      "say where the OAuth2 access token comes from (token-command, or refresh-token with token-url)",
    );
  }
  return undefined;
}
