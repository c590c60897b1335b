#!/usr/bin/env node
/**
 * Our Streamable HTTP server for the load and memory benches, in its own process on the built JS:
 * the same `startHttpServer` the CLI uses, with the per-key caps lifted (sessions, tool calls per
 * minute) because the bench opens 200-1,000 sessions with one key and the direct load it is
 * compared with has no such limit. Everything else is the shipped default.
 *
 * Env: OKTA_API_BASE_URL, OKTA_PARTNER_TOKEN, OKTA_MCP_API_KEY, BENCH_STATELESS=1, BENCH_PORT.
 * Prints one JSON line `{ "url": ... }` on stdout once listening.
 */
import { Installation } from "../dist/installation.js";
import { createLogger } from "../dist/logger.js";
import { startHttpServer } from "../dist/transport/http.js";

// As the CLI does over HTTP: log lines are written without blocking requests.
const logger = createLogger({ sync: false });
const installation = new Installation({
  baseUrl: process.env.OKTA_API_BASE_URL,
  token: process.env.OKTA_PARTNER_TOKEN,
  logger,
});
await installation.refreshWhoami();
const LOTS = 1_000_000;
const handle = await startHttpServer({
  config: {
    host: "127.0.0.1",
    port: Number(process.env.BENCH_PORT ?? 0),
    stateless: process.env.BENCH_STATELESS === "1",
    allowedHosts: [],
    allowedOrigins: [],
  },
  installations: [installation],
  apiKey: process.env.OKTA_MCP_API_KEY,
  options: {},
  logger,
  limits: {
    maxSessionsPerKey: LOTS,
    maxSessionsTotal: LOTS,
    requestsPerMinute: LOTS * 60,
    requestBurst: LOTS,
    completionsPerMinute: LOTS * 60,
    completionBurst: LOTS,
  },
});
process.stdout.write(`${JSON.stringify({ url: handle.mcpUrl })}\n`);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    void handle
      .close()
      .then(() => installation.close())
      .finally(() => process.exit(0));
  });
}
