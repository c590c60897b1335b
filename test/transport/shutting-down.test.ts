/**
 * One answer to an MCP request while the server shuts down: 503, `Retry-After`, `Connection:
 * close` and a JSON-RPC error body, wherever it is given. The routes' guard gives it to requests
 * arriving during shutdown (test/e2e/http.test.ts "graceful shutdown"); the 2026 leg gives it to a
 * request that passed that guard just before shutdown began, which no timing reaches reliably
 * through the whole server, so here the endpoint itself is closed and then asked.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { Installation } from "../../src/installation.js";
import { silentLogger } from "../../src/logger.js";
import { type EndpointContext, httpLimitsWith, serverFactories } from "../../src/transport/context.js";
import { sendShuttingDown } from "../../src/transport/guards/rpc.js";
import { ModernEndpoint } from "../../src/transport/modern.js";
import { RateLimiter } from "../../src/transport/rate-limit.js";
import { SessionTable } from "../../src/transport/sessions.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** What a real node:http response written by `listener` looks like on the wire. */
async function answerOf(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<Answer> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<Answer>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method: "POST", path: "/mcp", agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end("{}");
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

function expectShuttingDown(answer: Answer): void {
  expect(answer.status).toBe(503);
  expect(answer.headers["retry-after"]).toBe("5");
  expect(answer.headers.connection).toBe("close");
  expect(JSON.parse(answer.body)).toEqual({
    jsonrpc: "2.0",
    error: { code: -32000, message: "Service Unavailable: the server is shutting down" },
    id: null,
  });
}

const CORS = { "Access-Control-Allow-Origin": "http://localhost:5173", Vary: "Origin" };

describe("the shutting-down answer", () => {
  it("is 503 with Retry-After and Connection: close, keeping the headers it is given", async () => {
    const answer = await answerOf((_req, res) => sendShuttingDown(res, CORS));
    expectShuttingDown(answer);
    expect(answer.headers["access-control-allow-origin"]).toBe(CORS["Access-Control-Allow-Origin"]);
  });

  describe("from the 2026 leg, for a request that passed the guards before shutdown began", () => {
    const logger = silentLogger();
    // Never asked anything: the closed endpoint answers before it looks at the installation.
    const installation = new Installation({
      baseUrl: "http://127.0.0.1:9",
      token: "unused",
      name: "north",
      logger,
    });
    afterAll(() => installation.close());

    it("is the same answer", async () => {
      const limits = httpLimitsWith();
      const ctx: EndpointContext = {
        limits,
        sessions: new SessionTable({ maxPerKey: 1, maxTotal: 1, idleMs: limits.sessionIdleMs }),
        meter: {
          requests: new RateLimiter({ perMinute: 60, burst: 1 }),
          completions: new RateLimiter({ perMinute: 60, burst: 1 }),
        },
        logger,
        options: {},
        ...serverFactories({}, logger),
      };
      const endpoint = new ModernEndpoint(ctx, undefined);
      await endpoint.close();
      const caller = { keyId: "0123456789ab", tenant: { name: "north", installation, apiKeySha256: [] } };
      const answer = await answerOf(
        (req, res) =>
          void endpoint.handle(req, res, caller, { raw: {}, messages: [] }, false, CORS, () => {}),
      );
      expectShuttingDown(answer);
      expect(answer.headers["access-control-allow-origin"]).toBe(CORS["Access-Control-Allow-Origin"]);
    });
  });
});
