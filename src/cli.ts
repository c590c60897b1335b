#!/usr/bin/env node
/**
 * The bin: flags and environment -> a transport. Every failure at start is one clear line on
 * stderr and a non-zero exit; stdout is left to the protocol.
 */
import { resolveBaseUrl, resolveTokenSource } from "./client/config.js";
import { type Config, ConfigError, parseCli, USAGE } from "./config.js";
import { Installation } from "./installation.js";
import { type WatchOptions, watchOptionsFromEnv } from "./live/watch.js";
import { createLogger, type Logger } from "./logger.js";
import { runSandboxCli } from "./sandbox/cli.js";
import { startSandbox } from "./sandbox/index.js";
import type { ServerOptions } from "./server.js";
import { createSharedStore } from "./store/index.js";
import type { SharedStore } from "./store/shared-store.js";
import { serveStdio } from "./transport/stdio.js";
import { VERSION } from "./version.js";

function fail(message: string, code = 1): never {
  process.stderr.write(`okta-partners-mcp: ${message}\n`);
  process.exit(code);
}

export function serverOptionsOf(config: Config): ServerOptions {
  return {
    readOnly: config.readOnly,
    toolsets: config.toolsets,
    confirm: config.confirm,
    maxResultBytes: config.maxResultBytes,
  };
}

async function serveOne(
  config: Config,
  logger: Logger,
  store: SharedStore,
  watch: WatchOptions,
): Promise<void> {
  let baseUrl: string;
  let token: string | (() => string);
  let stopSandbox = async () => {};
  if (config.sandbox) {
    const sandbox = await startSandbox({
      scopes: config.sandboxScopes,
      logger: logger.child({ component: "sandbox" }),
    });
    baseUrl = sandbox.baseUrl;
    token = sandbox.token;
    stopSandbox = () => sandbox.stop();
    logger.info({ baseUrl }, "embedded sandbox started (demo data, not a real school)");
  } else {
    try {
      baseUrl = resolveBaseUrl(process.env);
      token = resolveTokenSource(process.env);
    } catch (error) {
      fail(
        `${(error as Error).message}\nSet OKTA_PARTNER_TOKEN (or OKTA_PARTNER_TOKEN_FILE), or try the demo: okta-partners-mcp --sandbox`,
      );
    }
  }

  const installation = new Installation({
    baseUrl,
    token,
    logger,
    sandbox: config.sandbox,
    sharedStore: store,
  });
  try {
    await installation.refreshWhoami();
  } catch (error) {
    await stopSandbox();
    fail(`could not read GET /whoami at ${baseUrl}: ${(error as Error).message}`);
  }
  // A rotated token file and a changed grant reach every session without a restart.
  const tokenFile = process.env.OKTA_PARTNER_TOKEN?.trim()
    ? undefined
    : process.env.OKTA_PARTNER_TOKEN_FILE?.trim();
  installation.watch({ ...watch, tokenFile: config.sandbox ? undefined : tokenFile });
  const close = async () => {
    await installation.close();
    await store.close();
    await stopSandbox();
    process.exit(0);
  };
  if (config.transport === "http") {
    const { serveHttp } = await import("./transport/http.js");
    await serveHttp({
      config,
      installations: [installation],
      options: serverOptionsOf(config),
      logger,
      onClose: close,
      store,
    });
  } else {
    await serveStdio(installation, serverOptionsOf(config), logger, close);
  }
}

async function main(): Promise<void> {
  let request: ReturnType<typeof parseCli>;
  try {
    request = parseCli(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) fail(`${error.message}\nSee okta-partners-mcp --help`, 2);
    throw error;
  }
  switch (request.command) {
    case "help":
      process.stdout.write(USAGE); // stdout-ok: --help is not protocol mode
      return;
    case "version":
      process.stdout.write(`${VERSION}\n`); // stdout-ok: --version is not protocol mode
      return;
    case "sandbox":
      return runSandboxCli(request.argv);
    case "serve": {
      const logger = createLogger();
      let store: SharedStore;
      let watch: WatchOptions;
      try {
        watch = watchOptionsFromEnv(process.env);
        store = await createSharedStore(process.env, logger);
      } catch (error) {
        fail((error as Error).message);
      }
      if (request.installationsFile) {
        // Many installations: the HTTP transport loads, validates and owns them.
        const { serveHttp } = await import("./transport/http.js");
        return serveHttp({
          config: request,
          options: serverOptionsOf(request),
          logger,
          store,
          watch,
          onClose: async () => {
            await store.close();
            process.exit(0);
          },
        });
      }
      return serveOne(request, logger, store, watch);
    }
  }
}

main().catch((error: unknown) => {
  fail(`unexpected failure at start: ${error instanceof Error ? error.message : String(error)}`);
});
