/**
 * `okta-partners-mcp sandbox [flags]`: runs the sandbox on its own, for trying the MCP server or
 * any other client against a local platform. Everything human-readable goes to stderr; stdout is
 * left alone (the main CLI may share it with the stdio protocol).
 */
import { parseArgs } from "node:util";
import { createLogger } from "../logger.js";
import { parseScopeList } from "../platform/scopes.js";
import { OPENAPI_PATH, type SandboxOptions, startSandbox } from "./index.js";

export const SANDBOX_USAGE = `Usage: okta-partners-mcp sandbox [options]

Runs a local, contract-faithful Okta Partners API with demo data (tenant 42, 1,242 students).

Options:
  --port N                 Port to listen on (default 4010; 0 picks a free one)
  --host H                 Interface to bind (default 127.0.0.1)
  --token T                Installation token (default: a random sbx_... token)
  --scopes a,b,...         Granted scopes (default: all 14)
  --rate-limit N           Requests per minute per installation (default 1000; 0 = off)
  --fail-before-write P    Share 0..1 of POST/PATCH answered 503 before anything is applied
  --drop-after-write P     Share 0..1 of POST/PATCH applied, then the connection dropped
  --rate-limited P         Share 0..1 of requests answered 429
  --retry-after S          Retry-After seconds of injected 429s (default 1)
  --latency MS             Milliseconds added to every response
  --seed N                 Seed of the fault PRNG (default 1)
  --webhook-url URL        POST signed webhooks for created/updated records here
  --webhook-secret S       Secret for the webhook signatures (required with --webhook-url)
  -h, --help               Show this help
`;

export class SandboxUsageError extends Error {
  override name = "SandboxUsageError";
}

export interface SandboxCliIo {
  stderr(text: string): void;
  setExitCode(code: number): void;
  /** Resolves when the sandbox should stop (SIGINT / SIGTERM by default). */
  waitForStop(): Promise<void>;
}

const processIo: SandboxCliIo = {
  stderr: (text) => process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  waitForStop: () =>
    new Promise((resolve) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        resolve();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    }),
};

export type ParsedSandboxArgs = { help: true } | { help: false; options: SandboxOptions };

/** Flags -> sandbox options; throws SandboxUsageError naming the bad flag. */
export function parseSandboxArgs(argv: string[]): ParsedSandboxArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        token: { type: "string" },
        scopes: { type: "string" },
        "rate-limit": { type: "string" },
        "fail-before-write": { type: "string" },
        "drop-after-write": { type: "string" },
        "rate-limited": { type: "string" },
        "retry-after": { type: "string" },
        latency: { type: "string" },
        seed: { type: "string" },
        "webhook-url": { type: "string" },
        "webhook-secret": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new SandboxUsageError((error as Error).message);
  }
  if (values.help) return { help: true };

  const text = (name: string) => values[name] as string | undefined;
  const integer = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const raw = text(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      throw new SandboxUsageError(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };
  const share = (name: string) => {
    const raw = text(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (raw.trim() === "" || !(value >= 0 && value <= 1)) {
      throw new SandboxUsageError(`--${name} must be a share from 0 to 1, got "${raw}"`);
    }
    return value;
  };

  const options: SandboxOptions = {
    port: integer("port", 0, 65_535) ?? 4010,
    host: text("host") ?? "127.0.0.1",
  };
  const token = text("token");
  if (token !== undefined) {
    if (!/^[\x21-\x7e]{8,512}$/.test(token)) {
      throw new SandboxUsageError("--token must be 8 to 512 visible ASCII characters");
    }
    options.token = token;
  }
  const scopes = text("scopes");
  if (scopes !== undefined) {
    try {
      options.scopes = parseScopeList(scopes);
    } catch (error) {
      throw new SandboxUsageError((error as Error).message);
    }
  }
  const rateLimit = integer("rate-limit", 0);
  if (rateLimit !== undefined) options.rateLimit = { limit: rateLimit, windowMs: 60_000 };

  const faults = {
    failBeforeWrite: share("fail-before-write"),
    dropAfterWrite: share("drop-after-write"),
    rateLimited: share("rate-limited"),
    retryAfterSeconds: integer("retry-after", 0, 86_400),
    latencyMs: integer("latency", 0, 600_000),
    seed: integer("seed", 0, 2 ** 32 - 1),
  };
  const setFaults = Object.fromEntries(Object.entries(faults).filter(([, v]) => v !== undefined));
  if (Object.keys(setFaults).length > 0) options.faults = setFaults;

  const webhookUrl = text("webhook-url");
  const webhookSecret = text("webhook-secret");
  if (webhookUrl !== undefined || webhookSecret !== undefined) {
    if (!webhookUrl || !webhookSecret) {
      throw new SandboxUsageError("--webhook-url and --webhook-secret go together");
    }
    if (!URL.canParse(webhookUrl) || !/^https?:$/.test(new URL(webhookUrl).protocol)) {
      throw new SandboxUsageError(`--webhook-url must be an http(s) URL, got "${webhookUrl}"`);
    }
    options.webhook = { url: webhookUrl, secret: webhookSecret };
  }
  return { help: false, options };
}

export async function runSandboxCli(argv: string[], io: SandboxCliIo = processIo): Promise<void> {
  let parsed: ParsedSandboxArgs;
  try {
    parsed = parseSandboxArgs(argv);
  } catch (error) {
    if (!(error instanceof SandboxUsageError)) throw error;
    io.stderr(`okta-partners-mcp sandbox: ${error.message}\nSee okta-partners-mcp sandbox --help\n`);
    io.setExitCode(2);
    return;
  }
  if (parsed.help) {
    io.stderr(SANDBOX_USAGE);
    return;
  }

  const logger = createLogger({ name: "okta-partners-sandbox" });
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  try {
    sandbox = await startSandbox({ ...parsed.options, logger });
  } catch (error) {
    io.stderr(`okta-partners-mcp sandbox: could not start: ${(error as Error).message}\n`);
    io.setExitCode(1);
    return;
  }
  io.stderr(
    [
      "Okta Partners sandbox (demo data, not a real school)",
      `  Base URL: ${sandbox.baseUrl}`,
      `  Token:    ${sandbox.token}`,
      `  OpenAPI:  ${sandbox.url}${OPENAPI_PATH}`,
      `  Try:      curl -H "Authorization: Bearer ${sandbox.token}" ${sandbox.baseUrl}/whoami`,
      "Press Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
  await io.waitForStop();
  await sandbox.stop();
  io.stderr("Sandbox stopped.\n");
}
