/**
 * The serve path of the bin: environment -> installation(s) -> a transport. Imported by cli.ts
 * only when serving, so --help, --version and `sandbox` start without the MCP stack.
 */
import { resolveBaseUrl, resolveTokenSource } from "./client/config.js";
import type { Config } from "./config.js";
import { fail } from "./fail.js";
import { Installation } from "./installation.js";
import { type WatchOptions, watchOptionsFromEnv } from "./live/watch.js";
import { createLogger, flushLogger, type Logger } from "./logger.js";
import type { ServerOptions } from "./server.js";
import { createSharedStore } from "./store/create.js";
import type { SharedStore } from "./store/shared-store.js";
import { REQUEST_STATE_KEY_ENV, type RequestStateKey, requestStateKeyFrom } from "./tools/confirm-state.js";

export function serverOptionsOf(config: Config, stateKey?: RequestStateKey): ServerOptions {
  return {
    ...(stateKey ? { requestState: { key: stateKey.key } } : {}),
    readOnly: config.readOnly,
    toolsets: config.toolsets,
    confirm: config.confirm,
    allowUnconfirmedSends: config.allowUnconfirmedSends,
    maxResultBytes: config.maxResultBytes,
  };
}

/**
 * The key of 2026-07-28 confirmation states. Over stdio every round reaches this process, so a
 * random key is enough. Over HTTP a round may reach another instance: with REDIS_URL (several
 * instances, by the README's own definition) a per-process key would refuse every confirmation
 * that lands elsewhere, at random, so start-up fails instead; alone, it says so once.
 */
export function requestStateKeyFor(
  config: Pick<Config, "transport">,
  env: Record<string, string | undefined>,
  logger: Logger,
): RequestStateKey {
  const stateKey = requestStateKeyFrom(env);
  // --installations is refused without --transport http (parseCli): the transport says it all.
  if (stateKey.shared || config.transport !== "http") return stateKey;
  if (env.REDIS_URL?.trim()) {
    throw new Error(
      `REDIS_URL is set (several instances) but ${REQUEST_STATE_KEY_ENV} is not: a confirmation answered through another instance could not be checked. Give every instance the same key (openssl rand -base64 32).`,
    );
  }
  logger.info(
    `no ${REQUEST_STATE_KEY_ENV}: 2026-07-28 confirmations are signed with a key of this process, so their answers must come back to this instance; set it to run several`,
  );
  return stateKey;
}

async function serveOne(
  config: Config,
  logger: Logger,
  store: SharedStore,
  watch: WatchOptions,
  stateKey: RequestStateKey,
): Promise<void> {
  let baseUrl: string;
  let token: string | (() => string);
  let stopSandbox = async () => {};
  if (config.sandbox) {
    const { startSandbox } = await import("./sandbox/index.js");
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
    flushLogger(logger);
    process.exit(0);
  };
  if (config.transport === "http") {
    const { serveHttp } = await import("./transport/http.js");
    await serveHttp({
      config,
      installations: [installation],
      options: serverOptionsOf(config, stateKey),
      limits: config.httpLimits,
      logger,
      onClose: close,
      store,
    });
  } else {
    const { serveStdio } = await import("./transport/stdio.js");
    await serveStdio(installation, serverOptionsOf(config, stateKey), logger, close);
  }
}

export async function serve(request: Config): Promise<void> {
  // Over HTTP the log is written without blocking requests; stdio keeps synchronous lines.
  const logger = createLogger({ sync: request.transport !== "http" });
  let store: SharedStore;
  let watch: WatchOptions;
  let stateKey: RequestStateKey;
  try {
    watch = watchOptionsFromEnv(process.env);
    stateKey = requestStateKeyFor(request, process.env, logger);
    store = await createSharedStore(process.env, logger);
  } catch (error) {
    fail((error as Error).message);
  }
  if (request.installationsFile) {
    // Many installations: the HTTP transport loads, validates and owns them.
    const { serveHttp } = await import("./transport/http.js");
    return serveHttp({
      config: request,
      options: serverOptionsOf(request, stateKey),
      limits: request.httpLimits,
      logger,
      store,
      watch,
      onClose: async () => {
        await store.close();
        flushLogger(logger);
        process.exit(0);
      },
    });
  }
  return serveOne(request, logger, store, watch, stateKey);
}
