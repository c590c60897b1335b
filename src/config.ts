/**
 * Flags and environment -> configuration, as a pure function so it is tested without a process.
 */
import { parseArgs } from "node:util";
import { isToolName, type ToolName } from "./platform/catalog.js";
import { parseScopeList, type Scope, TOOLSETS, type Toolset } from "./platform/scopes.js";

export const USAGE = `okta-partners-mcp: MCP server for the Okta Partners school platform API

Usage:
  okta-partners-mcp [options]              serve MCP (stdio by default)
  okta-partners-mcp sandbox [options]      run the embedded sandbox API alone (see: sandbox --help)

Options:
  --sandbox                 start the embedded sandbox in-process and serve it (no token needed)
  --sandbox-scopes a,b      limit the sandbox token to these scopes
  --transport stdio|http    default stdio
  --host H --port N         HTTP bind (default 127.0.0.1:3333)
  --stateless               HTTP without sessions (a server per request)
  --installations FILE      HTTP: serve several installations (JSON file)
  --allowed-hosts a,b       HTTP: Host names accepted besides loopback
  --allowed-origins a,b     HTTP: Origins accepted besides loopback
  --max-sessions N          HTTP: open sessions in total (default 1024); at a cap the least
                            recently used idle session is closed to make room
  --max-sessions-per-key N  HTTP: open sessions per API key (default 256)
  --session-idle-minutes N  HTTP: close a session idle this long (default 30)
  --requests-per-minute N   HTTP: tool calls and resource reads per API key (default 12000,
                            bursts of 3 s at the rate); --tool-calls-per-minute is the old name
  --completions-per-minute N
                            HTTP: completions per API key, a budget of their own (default 3000)
  --read-only               serve only tools that change nothing
  --toolsets a,b            serve only these groups: ${TOOLSETS.filter((t) => t !== "identity").join(", ")}
  --confirm tool,tool       ask the human before these writes (send_notification always asks)
  --allow-unconfirmed-sends HTTP --stateless only: send without asking (nobody can be asked
                            without sessions, so sends are refused otherwise); each send is logged
  --max-result-bytes N      cap on one tool result (default 60000)
  -h, --help                this text
  -v, --version             the version

Environment:
  OKTA_PARTNER_TOKEN        the installation token (or OKTA_PARTNER_TOKEN_FILE: a file holding it)
  OKTA_API_BASE_URL         default https://getokta.io/api/apps
  OKTA_MCP_API_KEY          HTTP: the key MCP clients must send (made and printed once if unset)
  OKTA_WEBHOOK_SECRET       HTTP: verifies POST /webhooks/okta (and OKTA_WEBHOOK_SECRET_PREVIOUS)
  OKTA_WHOAMI_REFRESH_SECONDS  re-read the grant this often (default 300; 0: only on a token change or a 403)
  REDIS_URL                 shared state for several instances (default: in memory); accepted
                            webhooks then wait in a Redis Stream until one instance processes them
  OKTA_MCP_WEBHOOK_VISIBILITY_MS  with REDIS_URL: a webhook taken but unfinished this long (its
                            instance died) is taken over by another (default 30000)
  OKTA_MCP_WEBHOOK_QUEUE_MAX  with REDIS_URL: webhooks waiting at most, then 503 (default 10000)
  OKTA_MCP_TEST_WEBHOOK_PROCESS_DELAY_MS  tests only: hold each webhook this long before
                            processing it, so a test can kill the instance holding it
  OKTA_MCP_REQUEST_STATE_KEY  HTTP: signs 2026-07-28 confirmations, the same on every instance
                            (hex or base64, >= 32 bytes; required with REDIS_URL)
  LOG_LEVEL                 pino level, default info (logs go to stderr)
`;

export interface Config {
  command: "serve";
  transport: "stdio" | "http";
  sandbox: boolean;
  sandboxScopes?: Scope[];
  host: string;
  port: number;
  stateless: boolean;
  installationsFile?: string;
  allowedHosts: string[];
  allowedOrigins: string[];
  /** HTTP limits given on the command line; the rest keep the transport's defaults. */
  httpLimits: {
    maxSessionsTotal?: number;
    maxSessionsPerKey?: number;
    sessionIdleMs?: number;
    requestsPerMinute?: number;
    completionsPerMinute?: number;
  };
  readOnly: boolean;
  toolsets?: Toolset[];
  confirm: ToolName[];
  /** Stateless HTTP only: sends go out unconfirmed instead of being refused. */
  allowUnconfirmedSends: boolean;
  maxResultBytes?: number;
}

export type CliRequest =
  | { command: "help" }
  | { command: "version" }
  | { command: "sandbox"; argv: string[] }
  | Config;

export class ConfigError extends Error {
  override name = "ConfigError";
}

const csv = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

function positiveInt(flag: string, value: string | undefined, fallback: number): number;
function positiveInt(flag: string, value: string | undefined): number | undefined;
function positiveInt(flag: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new ConfigError(`${flag} must be a positive integer, got "${value}"`);
  return Number(value);
}

export function parseCli(argv: string[]): CliRequest {
  if (argv[0] === "sandbox") return { command: "sandbox", argv: argv.slice(1) };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { command: "help" };
  if (v.version) return { command: "version" };
  if (parsed.positionals.length > 0) throw new ConfigError(`Unexpected argument: ${parsed.positionals[0]}`);

  const transport = v.transport ?? "stdio";
  if (transport !== "stdio" && transport !== "http")
    throw new ConfigError(`--transport must be stdio or http, got "${transport}"`);

  const toolsets = v.toolsets === undefined ? undefined : csv(v.toolsets);
  const unknownToolset = toolsets?.find((t) => !(TOOLSETS as readonly string[]).includes(t));
  if (unknownToolset)
    throw new ConfigError(`Unknown toolset "${unknownToolset}"; known: ${TOOLSETS.join(", ")}`);
  const confirmed = csv(v.confirm);
  const unknownTool = confirmed.find((t) => !isToolName(t));
  if (unknownTool) throw new ConfigError(`--confirm: unknown tool "${unknownTool}"`);
  const confirm = confirmed.filter(isToolName);

  let sandboxScopes: Scope[] | undefined;
  if (v["sandbox-scopes"] !== undefined) {
    try {
      sandboxScopes = parseScopeList(v["sandbox-scopes"]);
    } catch (error) {
      throw new ConfigError(`--sandbox-scopes: ${(error as Error).message}`);
    }
  }
  if (v.installations && v.sandbox) throw new ConfigError("--installations and --sandbox cannot be combined");
  if (v.installations && transport !== "http")
    throw new ConfigError("--installations needs --transport http");
  // With sessions the human is asked (or the host approves): the flag would do nothing there.
  if (v["allow-unconfirmed-sends"] && (transport !== "http" || !v.stateless))
    throw new ConfigError("--allow-unconfirmed-sends applies only to --transport http --stateless");

  return {
    command: "serve",
    transport,
    sandbox: v.sandbox ?? false,
    sandboxScopes,
    host: v.host ?? "127.0.0.1",
    port: positiveInt("--port", v.port, 3333),
    stateless: v.stateless ?? false,
    installationsFile: v.installations,
    allowedHosts: csv(v["allowed-hosts"]),
    allowedOrigins: csv(v["allowed-origins"]),
    httpLimits: withoutUndefined({
      maxSessionsTotal: positiveInt("--max-sessions", v["max-sessions"]),
      maxSessionsPerKey: positiveInt("--max-sessions-per-key", v["max-sessions-per-key"]),
      sessionIdleMs: minutes(positiveInt("--session-idle-minutes", v["session-idle-minutes"])),
      requestsPerMinute: requestsPerMinute(v["requests-per-minute"], v["tool-calls-per-minute"]),
      completionsPerMinute: positiveInt("--completions-per-minute", v["completions-per-minute"]),
    }),
    readOnly: v["read-only"] ?? false,
    toolsets: toolsets as Toolset[] | undefined,
    confirm,
    allowUnconfirmedSends: v["allow-unconfirmed-sends"] ?? false,
    maxResultBytes:
      v["max-result-bytes"] === undefined
        ? undefined
        : positiveInt("--max-result-bytes", v["max-result-bytes"], 0),
  };
}

/** --requests-per-minute, or its old name --tool-calls-per-minute (from when only tool calls counted). */
function requestsPerMinute(value: string | undefined, oldName: string | undefined): number | undefined {
  if (value !== undefined && oldName !== undefined)
    throw new ConfigError("--tool-calls-per-minute is the old name of --requests-per-minute: give one");
  if (oldName !== undefined) return positiveInt("--tool-calls-per-minute", oldName);
  return positiveInt("--requests-per-minute", value);
}

const minutes = (n: number | undefined) => (n === undefined ? undefined : n * 60_000);

function withoutUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
      sandbox: { type: "boolean" },
      "sandbox-scopes": { type: "string" },
      transport: { type: "string" },
      host: { type: "string" },
      port: { type: "string" },
      stateless: { type: "boolean" },
      installations: { type: "string" },
      "allowed-hosts": { type: "string" },
      "allowed-origins": { type: "string" },
      "max-sessions": { type: "string" },
      "max-sessions-per-key": { type: "string" },
      "session-idle-minutes": { type: "string" },
      "requests-per-minute": { type: "string" },
      "tool-calls-per-minute": { type: "string" },
      "completions-per-minute": { type: "string" },
      "read-only": { type: "boolean" },
      toolsets: { type: "string" },
      confirm: { type: "string" },
      "allow-unconfirmed-sends": { type: "boolean" },
      "max-result-bytes": { type: "string" },
    },
  });
}
