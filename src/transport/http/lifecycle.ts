/**
 * The HTTP server's life from listen to exit: the node:http server and its timeouts, binding (with
 * a clear error for a taken port or a foreign address), what is said at start, the periodic
 * housekeeping, graceful shutdown in a fixed order, and the CLI's signals (SIGHUP reloads,
 * SIGINT/SIGTERM shut down, a second one exits at once).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../../logger.js";
import type { ServerOptions } from "../../server.js";
import type { SharedStore } from "../../store/shared-store.js";
import type { HttpLimits } from "../context.js";
import { isHostAllowed, splitHost } from "../guards/origin.js";
import type { ModernEndpoint } from "../modern.js";
import type { RequestMeter } from "../rate-limit.js";
import type { SessionTable } from "../sessions.js";
import type { EventFanout, WebhookReceiver } from "../webhooks.js";
import type { ServedTenants } from "./tenants.js";

/** A node:http server whose timeouts follow the body limit. */
export function createNodeServer(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  limits: HttpLimits,
): Server {
  const server = createServer(listener);
  // A client that dribbles its request is cut off (the body reader answers 408 first).
  server.requestTimeout = limits.bodyTimeoutMs + 5_000;
  server.headersTimeout = Math.min(20_000, server.requestTimeout);
  return server;
}

/** Binds `server`; a taken port or an address this machine lacks is one clear error. */
export async function listen(
  server: Server,
  host: string,
  port: number,
): Promise<{ port: number; url: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "EADDRINUSE")
      throw new Error(`port ${port} on ${host} is in use; choose another with --port`);
    if (error.code === "EADDRNOTAVAIL") throw new Error(`cannot bind ${host}: no such local address`);
    throw error;
  });
  const bound = (server.address() as AddressInfo).port;
  return { port: bound, url: `http://${hostForUrl(host)}:${bound}` };
}

function hostForUrl(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** Said once at start: a bind address whose own Host name the allow-list would refuse. */
export function warnAboutBind(host: string, allowedHosts: readonly string[], logger: Logger): void {
  const bound = splitHost(hostForUrl(host))?.name ?? host;
  const allInterfaces = bound === "0.0.0.0" || bound === "[::]";
  if (!isHostAllowed(bound, allowedHosts) && !allInterfaces) {
    logger.warn({ host }, "the bind address is not in the Host allow-list: add it with --allowed-hosts");
  }
  if (allInterfaces && allowedHosts.length === 0) {
    logger.warn(
      "listening on all interfaces, but only loopback Host names are allowed: add yours with --allowed-hosts",
    );
  }
}

/** Said once at start: what happens to sends and `--confirm` writes on a server without sessions. */
export function warnAboutConfirmations(stateless: boolean, options: ServerOptions, logger: Logger): void {
  if (!stateless) return;
  if (options.allowUnconfirmedSends) {
    logger.warn(
      "--allow-unconfirmed-sends: send_notification sends without confirmation on this stateless server; each send is logged",
    );
  } else {
    logger.info(
      "stateless: send_notification is refused (nobody can be asked to confirm); run with sessions or --allow-unconfirmed-sends",
    );
  }
  if (options.confirm && options.confirm.length > 0) {
    logger.warn(
      { confirm: options.confirm },
      "stateless: the --confirm tools are refused (nobody can be asked to confirm); run with sessions",
    );
  }
}

/** Closes idle sessions and forgets idle rate-limit buckets until the function returned is called. */
export function startHousekeeping(sessions: SessionTable, meter: RequestMeter): () => void {
  sessions.startSweeping();
  const pruner = setInterval(() => {
    meter.requests.prune();
    meter.completions.prune();
  }, 60_000);
  pruner.unref();
  return () => {
    sessions.stopSweeping();
    clearInterval(pruner);
  };
}

/** Everything a running HTTP server owns, in the order shutdown needs it. */
export interface Running {
  server: Server;
  sessions: SessionTable;
  /** Calls from clients not yet answered, each once (the handle's `inFlight`). */
  inFlight: () => number;
  modern: ModernEndpoint;
  stopHousekeeping: () => void;
  webhooks: WebhookReceiver;
  fanout: EventFanout;
  tenants: ServedTenants;
  /** The store, when this server made it (then it closes it last). */
  ownStore?: SharedStore;
  limits: HttpLimits;
  logger: Logger;
  onClose?: () => Promise<void>;
}

/** Graceful: stop accepting, let calls in flight finish (bounded), close sessions, then onClose. */
export async function shutdown(running: Running): Promise<void> {
  const { server, sessions, inFlight, modern, logger, limits } = running;
  logger.info(
    {
      sessions: sessions.size,
      inFlight: inFlight(),
      listening: modern.listenStreams(),
    },
    "shutting down HTTP",
  );
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = performance.now() + limits.shutdownGraceMs;
  while (inFlight() > 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
  const left = inFlight();
  if (left > 0) logger.warn({ inFlight: left }, "shutdown grace over; closing with calls in flight");
  // Listen streams were never counted (they stay open until closed): they end here, gracefully,
  // once the calls in flight are done (closing the handlers aborts 2026 calls still running).
  await modern.close();
  running.stopHousekeeping();
  await Promise.all(sessions.all().map((s) => s.close().catch(() => {})));
  server.closeAllConnections();
  await stopped;
  // Accepted events still being published get a short grace; any left are logged as lost.
  await running.webhooks.stop(Math.min(2_000, limits.shutdownGraceMs));
  await running.fanout.close();
  await running.tenants.close();
  await running.ownStore?.close();
  logger.info("HTTP server closed");
  await running.onClose?.();
}

/**
 * The CLI's signals: SIGHUP reloads (a failed reload keeps serving as before), SIGINT/SIGTERM shut
 * down gracefully and then exit unless `exitWhenClosed` is false; a second signal exits at once.
 */
export function onSignals(
  handle: { reload(): Promise<unknown>; close(): Promise<void> },
  logger: Logger,
  exitWhenClosed: boolean,
): void {
  process.on("SIGHUP", () => {
    logger.info("SIGHUP: reloading installations");
    handle
      .reload()
      .catch((error: unknown) =>
        logger.error({ err: { message: (error as Error).message } }, "reload failed; serving as before"),
      );
  });
  let signalled = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (signalled) process.exit(130);
      signalled = true;
      logger.info({ signal }, "signal received; finishing calls in flight");
      void handle.close().then(() => {
        if (exitWhenClosed) process.exit(0);
      });
    });
  }
}
